import ArgumentParser
import Datasets
import Federation
import Foundation
import TensorCore
import Transport

/// The options of a federated run, on the command line (and, with the run file, in a file; options
/// given on the command line win). Every option is optional here; ``resolved()`` applies defaults
/// and checks the combination.
struct FederationOptions: ParsableArguments {
    @Option(help: "A run file (TOML or YAML, see `fedtop init`); options given here override it.") var config: String?
    @Option(help: "Local (simulated) hospitals (default \(RunDefaults.hospitals), or 0 when --hospital is given).") var hospitals: Int?
    @Option(name: .customLong("hospital"),
            help: "A remote hospital (a `fedtop hospital` process): grpcs://[NAME@]HOST:PORT (repeatable, mixable with --hospitals).")
    var remoteHospitals: [String] = []
    @Option(help: "The console's folder from `fedtop certs init` (certificate, key, model-signing key), for remote hospitals.")
    var certs: String?
    @Flag(help: "Remote hospitals as grpc://127.0.0.1:PORT without TLS or signatures: loopback demos only, never a real federation.")
    var insecure = false
    @Option(help: "The data: \(DatasetSource.help) (default \(RunDefaults.dataset)).") var dataset: String?
    @Option(help: "The model: \(ModelZoo.names.joined(separator: " | ")) (default: by dataset).") var model: String?
    @Option(help: "How records are split among hospitals: iid | dirichlet:ALPHA | quantity:SIGMA (default \(RunDefaults.partition)).") var partition: String?
    @Option(help: "Federated rounds (default \(RunDefaults.rounds)).") var rounds: Int?
    @Option(help: "Local epochs per round (default \(RunDefaults.localEpochs)).") var localEpochs: Int?
    @Option(help: "Expected batch size (Poisson batches under DP-SGD; default \(RunDefaults.batchSize)).") var batchSize: Int?
    @Option(help: "Local SGD learning rate (default \(RunDefaults.learningRate)).") var learningRate: Float?
    @Option(help: "Local SGD momentum (default \(RunDefaults.momentum)).") var momentum: Float?
    @Option(help: "fedavg | fedprox:MU | fedadam | fedyogi | fedadagrad | median | trimmed:BETA | krum:F | multikrum:F:M | normbound:M (default \(RunDefaults.strategy)).")
    var strategy: String?
    @Option(help: "Differential privacy: sample (DP-SGD in hospitals) | client (DP-FedAvg) | both | off (default \(RunDefaults.dp)).") var dp: String?
    @Option(help: "The ε budget of each hospital (and of the federation under client-level DP; default \(RunDefaults.epsilon)).") var epsilon: Double?
    @Option(help: "δ (default \(RunDefaults.delta)).") var delta: Double?
    @Option(help: "Sample-level noise multiplier σ (default: calibrated to --epsilon over the planned rounds).") var noise: Double?
    @Option(help: "Sample-level per-sample clip norm C (default \(RunDefaults.clip)).") var clip: Double?
    @Option(help: "Client-level noise multiplier z (default: calibrated to --epsilon).") var clientNoise: Double?
    @Option(help: "Client-level update clip norm S (default \(RunDefaults.clientClip)).") var clientClip: Double?
    @Flag(help: "Client-level adaptive clipping (Andrew et al. 2021).") var adaptiveClip = false
    @Flag(help: "Secure aggregation (SecAgg; SecAgg+ from 64 hospitals): the aggregator learns only the sum of the updates.")
    var secureAggregation = false
    @Option(help: "Secure aggregation: quantisation bits b, 2^b levels per coordinate (default \(RunDefaults.secaggBits)).") var secaggBits: Int?
    @Option(help: "Secure aggregation: each weighted update coordinate is clipped to ±this before quantisation (default 1; the client clip norm S under --dp client).")
    var secaggRange: Double?
    @Option(help: "Hospitals per round (a count; default: all).") var perRound: Int?
    @Option(help: "Hospitals per round as a Poisson rate q (client-level DP uses this).") var sampleRate: Double?
    @Option(help: "Fewest valid updates a round may aggregate (default \(RunDefaults.quorum), at most the hospitals).") var quorum: Int?
    @Option(help: "Seconds a round waits for updates (default: no deadline).") var deadline: Double?
    @Option(help: "Reject updates whose L2 norm exceeds this (default: a bound derived from the round's settings).") var maxUpdateNorm: Double?
    @Option(help: "Seed for the split, initialisation, selection and batches (default \(RunDefaults.seed)).") var seed: UInt64?
    @Option(help: "Seed the DP noise (reproducible, NOT secure; ε is reported as seeded).") var noiseSeed: UInt64?
    @Option(help: "Fraction of each hospital's records held out for its evaluation (default \(RunDefaults.testFraction)).") var testFraction: Double?
    @Option(help: "Fraction of all records held out centrally, before the split, for a central evaluation every round.")
    var centralHoldout: Double?
    @Option(help: "Clamp each hospital's standardised features to ±this many standard deviations (winsorisation; default: no bound).")
    var featureClip: Double?
    @Option(help: "The run directory (default: runs/<time>-<name>/).") var out: String?
    @Option(help: "The run's name (default: DATASET-MODEL).") var name: String?
    @Option(help: "Continue the run in this directory from its last complete round, ledgers intact.") var resume: String?
    @Option(help: "With --resume: change the ε budget to --epsilon, for this reason (written to every ledger and the audit log).")
    var raiseBudget: String?
    @Flag(help: "Encrypt checkpoints at rest (AES-GCM, key from FEDTOP_CHECKPOINT_KEY: 64 hex digits or base64 of 32 bytes).")
    var encryptCheckpoints = false
    @Option(help: "Make a simulated hospital slow, flaky, offline or malicious: \(SimulationSpec.help) (repeatable).")
    var simulate: [String] = []
    @Flag(help: "No console: one line per round (for scripts and CI).") var headless = false
    @Flag(help: "With --headless: print the engine's events as JSON lines.") var json = false

    /// Each option on its own, by the same rules as a run file's (``RunOptions/validate()``).
    func validate() throws {
        do { try commandLine.validate() } catch { throw ValidationError(error.description) }
        if hospitals == 0 { throw ValidationError("--hospitals must be at least 1, got 0") }
        if let maxUpdateNorm, !(maxUpdateNorm > 0 && maxUpdateNorm.isFinite) {
            throw ValidationError("--max-update-norm must be positive, got \(maxUpdateNorm)")
        }
    }

    /// The options given on the command line, as a run file would give them.
    var commandLine: RunOptions {
        var o = RunOptions()
        o.hospitals = hospitals
        o.hospital = remoteHospitals.isEmpty ? nil : remoteHospitals
        o.certs = certs
        o.dataset = dataset
        o.model = model
        o.partition = partition
        o.rounds = rounds
        o.localEpochs = localEpochs
        o.batchSize = batchSize
        o.learningRate = learningRate.map(Double.init)
        o.momentum = momentum.map(Double.init)
        o.strategy = strategy
        o.dp = dp
        o.epsilon = epsilon
        o.delta = delta
        o.noise = noise
        o.clip = clip
        o.clientNoise = clientNoise
        o.clientClip = clientClip
        o.adaptiveClip = adaptiveClip ? true : nil
        o.secureAggregation = secureAggregation ? true : nil
        o.secaggBits = secaggBits
        o.secaggRange = secaggRange
        o.perRound = perRound
        o.sampleRate = sampleRate
        o.quorum = quorum
        o.deadline = deadline
        o.seed = seed
        o.noiseSeed = noiseSeed
        o.testFraction = testFraction
        o.centralHoldout = centralHoldout
        o.featureClip = featureClip
        o.out = out
        o.name = name
        o.headless = headless ? true : nil
        o.json = json ? true : nil
        return o
    }

    /// The run file's options overridden by the command line's, with defaults applied.
    func resolved() throws -> RunPlan {
        var file = RunOptions()
        if let config {
            do { file = try RunFile.load(path: config) } catch { throw UsageError("--config: \(error)") }
        }
        var saved = RunOptions()
        if let resume {
            if let out, out != resume { throw UsageError("--resume \(resume) continues that directory; --out \(out) cannot differ") }
            let path = resume + "/run.json"
            do {
                saved = try JSONDecoder().decode(RunOptions.self, from: Data(POSIXFile.readAll(path)))
            } catch {
                throw UsageError("--resume \(resume): \(path) is missing or unreadable (\(error)); is this a fedtop run directory?")
            }
            saved.out = resume
        }
        let o = saved.overriding(with: file).overriding(with: commandLine)
        if raiseBudget != nil, resume == nil || epsilon == nil {
            throw UsageError("--raise-budget changes the budget of a resumed run: give --resume DIR and the new --epsilon")
        }
        var remote: [RemoteHospital.Endpoint] = []
        for address in o.hospital ?? [] {
            let endpoint: RemoteHospital.Endpoint
            do { endpoint = try RemoteHospital.Endpoint(parsing: address) } catch { throw UsageError("--hospital: \(error)") }
            if endpoint.insecure {
                guard insecure else { throw UsageError("--hospital \(address): plaintext grpc:// needs --insecure (loopback demos only)") }
                guard HospitalServer.isLoopback(endpoint.host) else {
                    throw UsageError("--hospital \(address): --insecure is for loopback demos only; \(endpoint.host) is not loopback")
                }
            } else if insecure {
                throw UsageError("--hospital \(address): --insecure takes grpc:// addresses on loopback; this one asks for TLS")
            }
            guard !remote.contains(where: { $0.host == endpoint.host && $0.port == endpoint.port }) else {
                throw UsageError("--hospital \(address) is given twice")
            }
            remote.append(endpoint)
        }
        if insecure, remote.isEmpty { throw UsageError("--insecure applies to remote hospitals (--hospital grpc://127.0.0.1:PORT)") }
        if !remote.isEmpty, !insecure, o.certs == nil {
            throw UsageError("remote hospitals need the console's certificates: --certs DIR (the console folder of `fedtop certs init`)")
        }
        if o.perRound != nil && o.sampleRate != nil { throw UsageError("give per-round or sample-rate, not both") }
        if o.json == true && o.headless != true { throw UsageError("--json needs --headless") }
        guard let privacy = PrivacyMode(rawValue: o.dp ?? RunDefaults.dp) else {
            throw UsageError("dp must be sample, client, both or off, got '\(o.dp ?? "")'")
        }
        let localCount = o.hospitals ?? (remote.isEmpty ? RunDefaults.hospitals : 0)
        let hospitalCount = localCount + remote.count
        guard hospitalCount >= 1 else { throw UsageError("hospitals must be at least 1, got \(hospitalCount)") }
        let selection: HospitalSelection
        if let q = o.sampleRate {
            selection = .rate(q)
        } else if privacy.clientLevel {
            selection = .rate(min(1, Double(o.perRound ?? hospitalCount) / Double(hospitalCount)))
        } else {
            selection = .count(min(o.perRound ?? hospitalCount, hospitalCount))
        }
        if let perRound = o.perRound, perRound > hospitalCount {
            throw UsageError("--per-round \(perRound) exceeds the \(hospitalCount) hospitals")
        }
        let quorum = o.quorum ?? min(RunDefaults.quorum, hospitalCount)
        if quorum > hospitalCount { throw UsageError("--quorum \(quorum) exceeds the \(hospitalCount) hospitals") }
        if privacy == .off, o.epsilon != nil || o.noise != nil || o.clientNoise != nil {
            throw UsageError("--dp off: --epsilon, --noise and --client-noise do not apply")
        }
        if !privacy.sampleLevel, o.noise != nil { throw UsageError("--noise is sample-level σ; it needs --dp sample or both") }
        if !privacy.clientLevel, o.clientNoise != nil || o.clientClip != nil || o.adaptiveClip == true {
            throw UsageError("--client-noise, --client-clip and --adaptive-clip need --dp client or both")
        }
        var secure: SecureAggregationSettings?
        if o.secureAggregation == true {
            secure = SecureAggregationSettings(bits: o.secaggBits ?? RunDefaults.secaggBits,
                                               clipRange: o.secaggRange ?? (privacy.clientLevel ? o.clientClip ?? RunDefaults.clientClip
                                                                                                : RunDefaults.secaggRange))
            if let problem = secure?.problem { throw UsageError(problem) }
            if hospitalCount < 2 { throw UsageError("--secure-aggregation needs at least 2 hospitals, got \(hospitalCount)") }
        } else if o.secaggBits != nil || o.secaggRange != nil {
            throw UsageError("--secagg-bits and --secagg-range need --secure-aggregation")
        }
        let simulations = try simulate.map(SimulationSpec.init(parsing:))
        for s in simulations {
            guard let n = s.hospital.split(separator: "-").last.flatMap({ Int($0) }), s.hospital.hasPrefix("hospital-"),
                  (1...max(1, localCount)).contains(n), localCount > 0 else {
                throw UsageError("--simulate: no local hospital named '\(s.hospital)' (they are hospital-1 … hospital-\(localCount))")
            }
        }
        return RunPlan(
            hospitals: localCount, remoteHospitals: remote, certs: o.certs, insecure: insecure,
            dataset: o.dataset ?? RunDefaults.dataset, model: o.model, partition: o.partition ?? RunDefaults.partition,
            rounds: o.rounds ?? RunDefaults.rounds, localEpochs: o.localEpochs ?? RunDefaults.localEpochs,
            batchSize: o.batchSize ?? RunDefaults.batchSize, learningRate: Float(o.learningRate ?? RunDefaults.learningRate),
            momentum: Float(o.momentum ?? RunDefaults.momentum), strategy: o.strategy ?? RunDefaults.strategy,
            privacy: privacy, epsilon: privacy == .off ? nil : (o.epsilon ?? RunDefaults.epsilon), delta: o.delta ?? RunDefaults.delta,
            noise: o.noise, clip: o.clip ?? RunDefaults.clip, clientNoise: o.clientNoise, clientClip: o.clientClip ?? RunDefaults.clientClip,
            adaptiveClip: o.adaptiveClip ?? false, selection: selection, quorum: quorum, deadline: o.deadline,
            maxUpdateNorm: maxUpdateNorm, seed: o.seed ?? RunDefaults.seed,
            noiseSeed: o.noiseSeed, testFraction: o.testFraction ?? RunDefaults.testFraction, centralHoldout: o.centralHoldout,
            featureClip: o.featureClip.map { Float($0) }, out: o.out, name: o.name, json: o.json ?? false,
            simulations: simulations, options: o, resume: resume != nil, encryptCheckpoints: encryptCheckpoints,
            budgetReason: raiseBudget, secureAggregation: secure)
    }
}

/// A federated run's settings after defaults.
struct RunPlan {
    /// The library's plan of this run (everything but where it runs and how it prints).
    func federationPlan(name: String, simulations: [String: SimulatedHospital]) -> FederationPlan {
        FederationPlan(name: name, rounds: rounds, localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate,
                       momentum: momentum, strategy: strategy, privacy: privacy, epsilon: epsilon, delta: delta, noise: noise,
                       clip: clip, clientNoise: clientNoise, clientClip: clientClip, adaptiveClip: adaptiveClip,
                       budgetReason: budgetReason, selection: selection, quorum: quorum, deadline: deadline,
                       maxUpdateNorm: maxUpdateNorm, seed: seed, noiseSeed: noiseSeed, secureAggregation: secureAggregation,
                       simulations: simulations)
    }

    /// Local (simulated) hospitals.
    var hospitals: Int
    /// Remote hospitals (`fedtop hospital` processes).
    var remoteHospitals: [RemoteHospital.Endpoint] = []
    /// The console's credentials folder (`fedtop certs init`), for remote hospitals.
    var certs: String?
    /// Plaintext to loopback hospitals, no signatures (`--insecure`).
    var insecure = false
    /// Local and remote hospitals.
    var totalHospitals: Int { hospitals + remoteHospitals.count }
    var dataset: String
    var model: String?
    var partition: String
    var rounds: Int
    var localEpochs: Int
    var batchSize: Int
    var learningRate: Float
    var momentum: Float
    var strategy: String
    var privacy: PrivacyMode
    var epsilon: Double?
    var delta: Double
    var noise: Double?
    var clip: Double
    var clientNoise: Double?
    var clientClip: Double
    var adaptiveClip: Bool
    var selection: HospitalSelection
    var quorum: Int
    var deadline: Double?
    var maxUpdateNorm: Double?
    var seed: UInt64
    var noiseSeed: UInt64?
    var testFraction: Double
    var centralHoldout: Double?
    /// Each hospital's standardised features clamped to ±this many standard deviations (nil: no bound).
    var featureClip: Float?
    var out: String?
    var name: String?
    var json: Bool
    var simulations: [SimulationSpec] = []
    /// The options as given (file and command line merged), kept in the run directory.
    var options = RunOptions()
    var resume = false
    var encryptCheckpoints = false
    /// Why the budget of a resumed run changes (`--raise-budget`); nil: the ledgers' budget stands.
    var budgetReason: String?
    /// Secure aggregation, when on.
    var secureAggregation: SecureAggregationSettings?
}

extension FederationLayout {
    /// The layout of `plan`'s records; a refusal is a usage error (exit 2) naming the option.
    init(plan: RunPlan, remoteFacts: DataFacts?) throws {
        do {
            try self.init(dataset: plan.dataset, localHospitals: plan.hospitals, partition: plan.partition,
                          testFraction: plan.testFraction, centralHoldout: plan.centralHoldout, featureClip: plan.featureClip,
                          model: plan.model, seed: plan.seed, remoteFacts: remoteFacts)
        } catch { throw UsageError("\(error)") }
    }
}
