import Datasets
import Federation
import Privacy
import Foundation
import TensorCore
import Transport

/// A federated run's settings: the options (run file, command line, a resumed run's `run.json`)
/// with defaults applied and their combination checked.
///
/// Contract: ``init(options:commandLine:insecure:simulate:resume:encryptCheckpoints:raiseBudget:)`` refuses, with
/// a ``UsageError`` naming the options, every combination a run cannot honour (remote hospitals
/// without certificates, `--noise` without sample-level DP, a quorum above the hospitals, secure
/// aggregation for one hospital, …); a plan it returns builds (``federationPlan(name:simulations:)``).
@dynamicMemberLookup
public struct RunPlan {
    /// How the federation trains and protects (rounds, strategy, privacy, selection, …): the library's
    /// plan, read through this one (`plan.rounds`). Its name is set when the run's name is known.
    public var federation: FederationPlan
    /// Local (simulated) hospitals.
    public var hospitals: Int
    /// Remote hospitals (`fedtop hospital` processes).
    public var remoteHospitals: [RemoteHospital.Endpoint] = []
    /// The console's credentials folder (`fedtop certs init`), for remote hospitals.
    public var certs: String?
    /// Plaintext to loopback hospitals, no signatures (`--insecure`).
    public var insecure = false
    /// Local and remote hospitals.
    public var totalHospitals: Int { hospitals + remoteHospitals.count }
    public var dataset: String
    public var model: String?
    public var partition: String
    public var testFraction: Double
    public var centralHoldout: Double?
    /// Each hospital's standardised features clamped to ±this many standard deviations (nil: no bound).
    public var featureClip: Float?
    public var out: String?
    public var name: String?
    public var json: Bool
    public var simulations: [SimulationSpec] = []
    /// The options as given (file and command line merged), kept in the run directory.
    public var options = RunOptions()
    public var resume = false
    public var encryptCheckpoints = false

    /// The federation's settings, read as the plan's own: `plan.rounds` is `plan.federation.rounds`.
    public subscript<T>(dynamicMember keyPath: KeyPath<FederationPlan, T>) -> T { federation[keyPath: keyPath] }

    /// The plan of `o` (options merged from their sources, ``RunOptions/merged(config:resume:commandLine:)``)
    /// and the command line's run-only switches: `--insecure`, `--simulate`, `--resume`,
    /// `--encrypt-checkpoints`, `--raise-budget`.
    /// `commandLine` is what the command line alone set (a budget is raised only by an `--epsilon` given there).
    public init(options o: RunOptions, commandLine: RunOptions? = nil, insecure: Bool = false, simulate: [String] = [],
                resume: Bool = false, encryptCheckpoints: Bool = false, raiseBudget: String? = nil) throws {
        if raiseBudget != nil, !resume || !(commandLine ?? o).isSet(.epsilon) {
            throw UsageError("--raise-budget changes the budget of a resumed run: give --resume DIR and the new --epsilon")
        }
        var remote: [RemoteHospital.Endpoint] = []
        for address in o[.hospital]?.strings ?? [] {
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
        let certs = o[.certs]?.string
        if insecure, remote.isEmpty { throw UsageError("--insecure applies to remote hospitals (--hospital grpc://127.0.0.1:PORT)") }
        if !remote.isEmpty, !insecure, certs == nil {
            throw UsageError("remote hospitals need the console's certificates: --certs DIR (the console folder of `fedtop certs init`)")
        }
        let perRound = o[.perRound]?.integer
        if perRound != nil && o.isSet(.sampleRate) { throw UsageError("give per-round or sample-rate, not both") }
        if o.flag(.json) && !o.flag(.headless) { throw UsageError("--json needs --headless") }
        guard let privacy = PrivacyMode(rawValue: o.string(.dp)) else {
            throw UsageError("dp must be sample, client, both or off, got '\(o.string(.dp))'")
        }
        let localCount = o[.hospitals]?.integer ?? (remote.isEmpty ? o.integer(.hospitals) : 0)
        let hospitalCount = localCount + remote.count
        guard hospitalCount >= 1 else { throw UsageError("hospitals must be at least 1, got \(hospitalCount)") }
        let selection: HospitalSelection
        if let q = o[.sampleRate]?.number {
            selection = .rate(q)
        } else if privacy.clientLevel {
            selection = .rate(min(1, Double(perRound ?? hospitalCount) / Double(hospitalCount)))
        } else {
            selection = .count(min(perRound ?? hospitalCount, hospitalCount))
        }
        if let perRound, perRound > hospitalCount { throw UsageError("--per-round \(perRound) exceeds the \(hospitalCount) hospitals") }
        let quorum = o[.quorum]?.integer ?? min(o.integer(.quorum), hospitalCount)
        if quorum > hospitalCount { throw UsageError("--quorum \(quorum) exceeds the \(hospitalCount) hospitals") }
        if privacy == .off, o.isSet(.epsilon) || o.isSet(.noise) || o.isSet(.clientNoise) {
            throw UsageError("--dp off: --epsilon, --noise and --client-noise do not apply")
        }
        if !privacy.sampleLevel, o.isSet(.noise) { throw UsageError("--noise is sample-level σ; it needs --dp sample or both") }
        if !privacy.clientLevel, o.isSet(.clientNoise) || o.isSet(.clientClip) || o.flag(.adaptiveClip) {
            throw UsageError("--client-noise, --client-clip and --adaptive-clip need --dp client or both")
        }
        let clientClip = o[.clientClip]?.number ?? RunOption.standardClientClip
        var secure: SecureAggregationSettings?
        if o.flag(.secureAggregation) {
            secure = SecureAggregationSettings(
                bits: o[.secaggBits]?.integer ?? RunOption.standardSecaggBits,
                clipRange: o[.secaggRange]?.number ?? (privacy.clientLevel ? clientClip : RunOption.standardSecaggRange),
                phaseTimeout: o[.secaggPhaseTimeout]?.number ?? SecureAggregationSettings().phaseTimeout)
            if let problem = secure?.problem { throw UsageError(problem) }
            if hospitalCount < 2 { throw UsageError("--secure-aggregation needs at least 2 hospitals, got \(hospitalCount)") }
        } else if let option = [RunOption.secaggBits, .secaggRange, .secaggPhaseTimeout].first(where: o.isSet) {
            throw UsageError("\(option.flag) needs --secure-aggregation")
        }
        var simulations: [SimulationSpec] = []
        for text in simulate {
            let s = try SimulationSpec(parsing: text)
            guard let n = s.hospital.split(separator: "-").last.flatMap({ Int($0) }), s.hospital.hasPrefix("hospital-"),
                  (1...max(1, localCount)).contains(n), localCount > 0 else {
                throw UsageError("--simulate: no local hospital named '\(s.hospital)' (they are hospital-1 … hospital-\(localCount))")
            }
            simulations.append(s)
        }
        // The model's own training defaults, where the model is known before any data is loaded:
        // named, or the lesion CNN of the built-in lesions that local hospitals will hold.
        let training = o.training(TrainingDefaults.forModel(
            o[.model]?.string ?? (localCount > 0 ? DatasetSource.modelNamed(byFormOf: o.string(.dataset)) : nil),
            dpSGD: privacy.sampleLevel))
        let adversarial = try o.adversarialTraining()
        self.federation = FederationPlan(
            name: o[.name]?.string ?? "", rounds: o.integer(.rounds), localEpochs: o.integer(.localEpochs),
            batchSize: training.batchSize, learningRate: training.learningRate, momentum: Float(o.number(.momentum)),
            strategy: o.string(.strategy), privacy: privacy, epsilon: o.number(.epsilon), delta: o.number(.delta),
            noise: o[.noise]?.number, clip: training.clipNorm, clientNoise: o[.clientNoise]?.number, clientClip: clientClip,
            adaptiveClip: o.flag(.adaptiveClip), budgetReason: raiseBudget, selection: selection, quorum: quorum,
            deadline: o[.deadline]?.number, maxUpdateNorm: o[.maxUpdateNorm]?.number, seed: o.seed(.seed),
            noiseSeed: o[.noiseSeed]?.seed, secureAggregation: secure, adversarial: adversarial,
            federatedDropout: o[.federatedDropout]?.number)
        self.hospitals = localCount
        self.remoteHospitals = remote
        self.certs = certs
        self.insecure = insecure
        self.dataset = o.string(.dataset)
        self.model = o[.model]?.string
        self.partition = o.string(.partition)
        self.testFraction = o.number(.testFraction)
        self.centralHoldout = o[.centralHoldout]?.number
        self.featureClip = o[.featureClip]?.number.map { Float($0) }
        self.out = o[.out]?.string
        self.name = o[.name]?.string
        self.json = o.flag(.json)
        self.simulations = simulations
        self.options = o
        self.resume = resume
        self.encryptCheckpoints = encryptCheckpoints
    }

    /// The library's plan of this run, named, with its simulated hospitals.
    public func federationPlan(name: String, simulations: [String: SimulatedHospital]) -> FederationPlan {
        var plan = federation
        plan.name = name
        plan.simulations = simulations
        return plan
    }
}
extension RunOptions {
    /// `--adversarial` with `--adversarial-ratio` (`fedtop run` and `fedtop hospital`), or nil.
    public func adversarialTraining() throws(UsageError) -> AdversarialTraining? {
        guard let spec = self[.adversarial]?.string else {
            if isSet(.adversarialRatio) { throw UsageError("--adversarial-ratio needs --adversarial") }
            return nil
        }
        do { return try AdversarialTraining(parsing: spec, ratio: number(.adversarialRatio)) } catch {
            throw UsageError("--adversarial \(spec): \(error)")
        }
    }

    /// The options a run uses: a resumed run's `run.json` (in `resume`), overridden by the run file at
    /// `config`, overridden by `commandLine`. `out` is the resumed directory.
    public static func merged(config: String?, resume: String?, commandLine: RunOptions) throws(UsageError) -> RunOptions {
        var file = RunOptions()
        if let config {
            do { file = try RunFile.load(path: config) } catch { throw UsageError("--config: \(error)") }
        }
        var saved = RunOptions()
        if let resume {
            if let out = commandLine[.out]?.string, out != resume {
                throw UsageError("--resume \(resume) continues that directory; --out \(out) cannot differ")
            }
            let path = resume + "/run.json"
            do {
                saved = try JSONDecoder().decode(RunOptions.self, from: Data(POSIXFile.readAll(path)))
            } catch {
                throw UsageError("--resume \(resume): \(path) is missing or unreadable (\(error)); is this a fedtop run directory?")
            }
            saved[.out] = .string(resume)
        }
        return saved.overriding(with: file).overriding(with: commandLine)
    }
}

extension FederationLayout {
    /// The layout of `plan`'s records; a refusal is a usage error (exit 2) naming the option.
    public init(plan: RunPlan, remoteFacts: DataFacts?) throws {
        do {
            try self.init(dataset: plan.dataset, localHospitals: plan.hospitals, partition: plan.partition,
                          testFraction: plan.testFraction, centralHoldout: plan.centralHoldout, featureClip: plan.featureClip,
                          model: plan.model, seed: plan.seed, remoteFacts: remoteFacts)
        } catch { throw UsageError("\(error)") }
    }
}
