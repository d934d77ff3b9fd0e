import RunConfiguration
import ArgumentParser
import Datasets
import Dispatch
import Federation
import Foundation
import Privacy
import TensorCore
import Transport

/// `fedtop hospital`: one hospital as its own process. It holds its share of the records, trains
/// with DP-SGD when the federation's console asks (over gRPC with mutual TLS), owns its ledger and
/// refuses past its budget, exactly as a local hospital does; nothing it holds leaves but clipped,
/// noised updates, aggregate metrics and its spend.
struct HospitalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hospital",
        abstract: "Run one hospital as a server the console attaches to (gRPC over mutual TLS).",
        discussion: """
            Provision certificates once with `fedtop certs init`, give each hospital its own folder, then on each \
            machine: fedtop hospital --name alice --listen 0.0.0.0:7443 --certs alice/ --dataset wdbc --shard 1/3. \
            SIGINT or SIGTERM stops it after the call in flight. The data and noise options are `fedtop run`'s \
            (the same names, defaults and checks; the seed and partition must match the federation's):
            """ + "\n\n" + RunOptionArguments.help(sharedOptions))

    /// The options a hospital shares with `fedtop run` (from the option table): its data and its noise.
    static let sharedOptions: [RunOption] = [.dataset, .partition, .testFraction, .featureClip, .seed, .delta, .noiseSeed,
                                             .adversarial, .adversarialRatio]
    /// The shared options' arguments (`--dataset wdbc`, …), parsed by ``RunOptionArguments``.
    @Argument(parsing: .allUnrecognized, help: .hidden) var sharedArguments: [String] = []


    @Option(help: "The hospital's name (its certificate's common name).") var name: String
    @Option(help: "HOST:PORT to listen on ([::1]:PORT for IPv6; port 0 picks a free one).") var listen = "127.0.0.1:7443"
    @Option(help: "This hospital's folder from `fedtop certs init` (its certificate and key, the CA, the console's model-signing key).")
    var certs: String?
    @Option(help: "Which share of the data this hospital holds, i/n (the data split into n as `fedtop run --hospitals n` splits it).")
    var shard = "1/1"
    @Option(help: "This hospital's ε budget (DP-SGD; default: the ledger's, or 3 for a new ledger); it refuses any round that would exceed it. Lowering an existing ledger's budget is recorded; raising it needs --raise-budget.")
    var epsilonBudget: Double?
    @Option(help: "Raise the ledger's budget to --epsilon-budget, with this reason (recorded in the ledger and the audit log).")
    var raiseBudget: String?
    @Flag(help: "Start a new, empty ledger although this hospital's seal records spends (the old ledger is lost or was deleted).")
    var newLedger = false
    @Option(help: "The folder of this hospital's privacy ledger and audit log (default: ./hospital-NAME).") var ledger: String?
    @Option(help: "Where the ledger's key and head record live, outside the ledger's folder (default: the --certs folder; with --insecure, LEDGER.seal beside the ledger folder).")
    var seal: String?
    @Option(help: "The privacy policy file (TOML: dp-sgd, min-noise-multiplier, max-clip-norm, max-round-epsilon, epsilon-budget, max-local-epochs, max-steps); flags win over it.")
    var policy: String?
    @Flag(help: "Accept rounds without DP-SGD (the policy requires DP-SGD by default).") var dpOptional = false
    @Option(help: "The smallest noise multiplier σ accepted (default \(HospitalPolicy.standardMinNoiseMultiplier)).") var minNoise: Double?
    @Option(help: "The largest clip norm C accepted (default: any).") var maxClip: Double?
    @Option(help: "The largest ε one round may cost on its own (default: any the budget pays for).") var maxRoundEpsilon: Double?
    @Option(help: "Evaluations answered per trained round, a number or 'any' (default \(HospitalPolicy.standardEvaluationsPerRound): each one is a query of the test split by a model of the console's choosing).")
    var evaluationsPerRound: String?
    @Option(help: "The smallest test split metrics are reported on (default \(HospitalPolicy.standardMinEvaluationRecords)).")
    var minEvaluationRecords: Int?
    @Option(help: "Largest model accepted (parameters).") var maxParameters = WorkLimits.standard.maxParameters
    @Option(help: "Most local epochs one round may ask for (default \(WorkLimits.standard.maxLocalEpochs)).") var maxLocalEpochs: Int?
    @Option(help: "Most optimiser steps one round may ask for (default \(WorkLimits.standard.maxStepsPerRound)).") var maxSteps: Int?
    @Option(help: "Calls a second allowed from one peer (with a burst of twice that).") var rateLimit = 20.0
    @Option(help: "A schema for --dataset csv:PATH (`fedtop data check`): identifier and sensitive cells are never decoded, quasi-identifiers are not model inputs, and the table must be k-anonymous.")
    var schema: String?
    @Option(help: "With --schema: the k the table must meet (every quasi-identifier combination shared by ≥ k records; default 5).") var k: Int?
    @Flag(help: "With --schema: serve a table that is not k-anonymous (said on standard error at start).") var allowBelowK = false
    @Flag(help: "With --schema: train on the quasi-identifiers too (numbers as they are, text as category indices).") var allowQuasiFeatures = false
    @Option(help: "Simulate a slow, straggling or malicious hospital (demos and tests): speed=S,delay=SECONDS,fail=P,offline=A-B,malicious=flip|backdoor|nan|inf|scale=K|counts.")
    var simulate: String?
    @Flag(help: "Plaintext, no certificates, unsigned models: loopback demos only (refused on any other address).")
    var insecure = false

    func run() throws {
        let shared: RunOptions
        do { shared = try RunOptionArguments.parse(sharedArguments, options: Self.sharedOptions) } catch {
            throw ValidationError(error.description)
        }
        let seed = shared.seed(.seed), delta = shared.number(.delta), noiseSeed = shared[.noiseSeed]?.seed
        if schema == nil, allowBelowK || allowQuasiFeatures || k != nil {
            throw ValidationError("--k, --allow-below-k and --allow-quasi-features need --schema")
        }
        if let k, k < 2 { throw ValidationError("--k must be at least 2, got \(k)") }
        let adversarial: AdversarialTraining?
        do { adversarial = try shared.adversarialTraining() } catch { throw ValidationError(error.description) }
        // Everything that can be refused is checked before anything is created: a refused start leaves no file.
        let (host, port) = try Self.parseListen(listen)
        if let problem = HospitalName.problem(with: name) { throw ValidationError("--name '\(name)': \(problem)") }
        let spec: SimulationSpec?
        do { spec = try simulate.map { try SimulationSpec(parsing: "\(name):\($0)") } } catch { throw ValidationError("\(error)") }
        let (policy, requestedBudget, epochs, steps) = try resolvedPolicy()

        // Credentials before anything else: missing certificates are a hard failure, never an open door.
        let credentials = try HospitalCredentialsLoader.load(certs: certs, name: name, insecure: insecure, host: host)
        let (data, facts) = try loadShare(shared)
        let attack: (any PoisoningAttack)?
        do { attack = try spec?.attack(featureShape: facts.featureShape, hospitals: shardCount) } catch { throw ValidationError("\(error)") }

        let folder = ledger ?? "hospital-\(name)"
        let sealFolder = seal ?? certs ?? (folder.hasSuffix("/") ? String(folder.dropLast()) : folder) + ".seal"
        let createdFolder = !FileManager.default.fileExists(atPath: folder)
        let createdSeal = !FileManager.default.fileExists(atPath: sealFolder)
        let log: HospitalLog
        let hospital: any ServableHospital
        let server: HospitalServer
        let bound: Int
        do {
            let ledgerSeal: LedgerSeal
            do { ledgerSeal = try LedgerSeal.loadOrCreate(directory: sealFolder, name: name) } catch {
                throw ValidationError("--seal \(sealFolder): \(error)")
            }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                log = try HospitalLog(name: name, auditPath: folder + "/audit.jsonl")
            } catch { throw ValidationError("--ledger \(folder): cannot create the ledger folder: \(error)") }
            do {
                // No budget asked for: the ledger's own (a restart changes nothing; the ledger keeps what it
                // records), or the default for a new, empty one.
                let ledgerPath = folder + "/\(name).ledger"
                let ledgerHoldsRecords = ((try? FileManager.default.attributesOfItem(atPath: ledgerPath)[.size] as? Int) ?? 0) > 0
                let asked = requestedBudget ?? (ledgerHoldsRecords ? nil : Self.defaultBudget)
                let architecture = try ModelZoo.make(DatasetSource.defaultModel(name: facts.datasetName, featureShape: facts.featureShape),
                                                     inputShape: facts.featureShape, classes: facts.classNames.count, seed: seed)
                // Production: the trainer alone. `--simulate` wraps it (speed, outages, attacks) for demos.
                let trainer = try HospitalTrainer(
                    name: name, data: data, architecture: architecture,
                    privacy: .init(ledgerPath: ledgerPath, epsilonBudget: asked, delta: delta, noiseSeed: noiseSeed,
                                   seal: ledgerSeal, raiseReason: raiseBudget, allowNewLedger: newLedger),
                    policy: policy, seed: seed &+ 7919, gate: ComputeGate(), adversarial: adversarial)
                if let spec {
                    let simulated = try LocalHospital(trainer: trainer, knobs: spec.knobs)
                    simulated.attack = attack
                    hospital = simulated
                } else {
                    hospital = trainer
                }
            } catch { throw ValidationError("\(error)") }
            let limits = WorkLimits(maxParameters: maxParameters, maxLocalEpochs: epochs, maxStepsPerRound: steps)
            let service = HospitalService(
                hospital: hospital, facts: facts,
                configuration: .init(limits: limits, modelKey: credentials?.modelKey, rateLimiter: RateLimiter(ratePerSecond: rateLimit, burst: 2 * rateLimit)),
                log: log)
            do {
                if let credentials {
                    server = try credentials.server(service: service, host: host, port: port, log: log)
                } else {
                    server = try HospitalServer.insecure(service: service, host: host, port: port)
                }
            } catch { throw ValidationError("--listen \(listen): \(error)") }
            do { bound = try server.start() } catch { throw RunError("--listen \(listen): \(error)") }
            // Started: only now is a budget change asked for on the command line written to the ledger.
            do { try hospital.commitBudget() } catch {
                server.stop()
                throw RunError("\(error)")
            }
        } catch {
            if createdFolder { try? FileManager.default.removeItem(atPath: folder) }
            if createdSeal { try? FileManager.default.removeItem(atPath: sealFolder) }
            throw error
        }
        for note in hospital.ledgerNotes { log.audit("ledger", note) }
        if let attack { log.audit("start", "SIMULATED MALICIOUS hospital (--simulate): \(attack.description)") }

        let spent = hospital.epsilonSpent
        let address = host.contains(":") ? "[\(host)]:\(bound)" : "\(host):\(bound)"
        if insecure {
            log.audit("start", "INSECURE: listening on grpc://\(address) WITHOUT TLS, client certificates or model signatures "
                      + "(--insecure: loopback demos only)")
        }
        log.audit("start", "listening on \(insecure ? "grpc" : "grpcs")://\(address): \(facts.datasetName) shard \(shard), "
                  + "\(data.train.count) training and \(data.test.count) test records, ε \(String(format: "%.3f", spent)) of "
                  + "\(hospital.epsilonBudget ?? Self.defaultBudget) spent (δ \(delta))\(noiseSeed != nil ? ", SEEDED noise (not secure)" : ""); "
                  + "policy: \(policy.summary); ledger \(folder), sealed in \(sealFolder)",
                  details: ["address": address])
        // One line on stdout for scripts: where it listens.
        print("fedtop hospital \(name) listening on \(address)")
        fflush(nil)

        let stopping = DispatchQueue(label: "fedtop.hospital.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: stopping)
            source.setEventHandler {
                log.audit("stop", "stopping (signal \(sig)); calls in flight finish")
                server.stop()
            }
            source.resume()
            sources.append(source)
        }
        if let error = server.wait() { throw RunError("the server stopped: \(error)") }
        log.info("stopped")
    }

    /// A new ledger's ε budget when neither a flag nor the policy file gives one.
    static let defaultBudget = RunOptions.defaults.number(.epsilon)

    /// The policy from the file and the flags (flags win), the budget asked for (nil: none), and the work limits.
    private func resolvedPolicy() throws -> (HospitalPolicy, budget: Double?, epochs: Int, steps: Int) {
        if let raiseBudget, raiseBudget.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--raise-budget needs a reason (it is recorded in the ledger and the audit log)")
        }
        do {
            let file = try policy.map { try HospitalPolicyFile(path: $0) } ?? HospitalPolicyFile()
            var flags = HospitalPolicyFile()
            flags.requiresDPSGD = dpOptional ? false : nil
            flags.minNoiseMultiplier = minNoise
            flags.maxClipNorm = maxClip
            flags.maxRoundEpsilon = maxRoundEpsilon
            flags.epsilonBudget = epsilonBudget
            flags.maxLocalEpochs = maxLocalEpochs
            flags.maxSteps = maxSteps
            flags.evaluationsPerRound = try evaluationsPerRound.map(HospitalPolicyFile.evaluations(parsing:)) ?? nil
            flags.minEvaluationRecords = minEvaluationRecords
            let rules = try file.overriding(with: flags).resolved()
            return (rules.policy, rules.budget, rules.maxLocalEpochs, rules.maxSteps)
        } catch { throw ValidationError("\(error)") }
    }

    /// n of `--shard i/n` (1 when the shard does not parse; loadShare reports that).
    private var shardCount: Int { shard.split(separator: "/").last.flatMap { Int($0) } ?? 1 }

    /// This hospital's share of the data, standardised with its own statistics.
    private func loadShare(_ o: RunOptions) throws -> (HospitalData, HospitalService.DataFacts) {
        let dataset = o.string(.dataset), testFraction = o.number(.testFraction), seed = o.seed(.seed)
        let featureClip = o[.featureClip]?.number
        let parts = shard.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (1...n).contains(i) else {
            throw ValidationError("--shard '\(shard)': expected i/n with 1 ≤ i ≤ n")
        }
        let whole: any RecordSource
        if let schema {
            whole = try minimisedTable(dataset: dataset, schema: schema)
        } else {
            do { whole = try DatasetSource.open(dataset) } catch { throw ValidationError("--dataset \(dataset): \(error)") }
        }
        let scheme: PartitionScheme
        do { scheme = try PartitionScheme(parsing: o.string(.partition)) } catch { throw ValidationError("--partition: \(error)") }
        let data: HospitalData
        do {
            data = try HospitalShares.share(i - 1, of: whole, hospitals: n, scheme: scheme, testFraction: testFraction, seed: seed,
                                            featureClip: featureClip.map { Float($0) })
        } catch { throw ValidationError("--shard \(shard) of \(whole.name): \(error)") }
        return (data, .init(datasetName: whole.name, featureShape: whole.featureShape, classNames: whole.classNames))
    }

    /// `--dataset csv:PATH` read under `--schema`, refused when it is not `--k`-anonymous (unless
    /// `--allow-below-k`): the hospital's own check, before any record is served.
    private func minimisedTable(dataset: String, schema: String) throws -> Dataset {
        guard dataset.hasPrefix("csv:") else { throw ValidationError("--schema needs --dataset csv:PATH, got '\(dataset)'") }
        let path = String(dataset.dropFirst(4))
        let table = try DataCheckCommand.load(file: path, schema: schema)
        let k = self.k ?? 5
        let report = KAnonymity.report(columns: table.quasi, names: table.quasiNames, k: k, records: table.count)
        if !report.holds {
            let line = "\(path) is not \(k)-anonymous under \(schema): the smallest equivalence class has \(report.smallestClass) record(s), "
                + "\(report.recordsAtRisk) of \(report.records) records are in classes below \(k) "
                + "(generalise it first: fedtop data check \(path) --schema \(schema) --k \(k) --generalise --out FILE)"
            guard allowBelowK else { throw ValidationError(line) }
            FileHandle.standardError.write(Data("fedtop hospital: serving although \(line); --allow-below-k\n".utf8))
        }
        return table.dataset(name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, includingQuasi: allowQuasiFeatures)
    }

    static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        do { return try RemoteHospital.Endpoint.hostAndPort(Substring(text), ports: 0...65_535, in: text) } catch {
            throw ValidationError("--listen \(error)")
        }
    }
}
