import RunConfiguration
import Audit
import Datasets
import Dispatch
import Federation
import Foundation
import Privacy
import TensorCore
import Transport

/// Builds a federation from a ``RunPlan`` — data partitioned among local hospitals, the model, the
/// strategy (wrapped in DP-FedAvg under client-level DP), ledgers, the run directory — and runs it.
struct FederationSetup {
    let plan: RunPlan
    let engine: Engine
    let directory: String
    let recorder: RunRecorder
    let hospitals: [any SampleLevelAccounting]
    let remoteHospitals: [RemoteHospital]
    /// The simulated hospitals (also in ``hospitals``), for the audit.
    let localHospitals: [LocalHospital]
    /// The central hold-out, standardised with its own statistics, when configured.
    let centralTest: Dataset?
    let description: String
    /// Client-level DP's distributed noise at z = 1 under secure aggregation (sensitivities, contributors), or nil.
    let distributedNoiseTemplate: DistributedSkellam?
    /// The run's secrets, outside its folder (signing key, ledger seal).
    let keys: RunKeys
    /// What the library's builder made.
    private let built: BuiltFederation

    /// - Parameter liveAudit: attack the global model every round (the console's membership panel); a
    ///   benchmark comparing local with remote hospitals turns it off for both, as remote hospitals'
    ///   records are not there to attack.
    init(options plan: RunPlan, liveAudit: Bool = true) throws {
        self.plan = plan
        // Each local hospital keeps its ledger open; say so now rather than fail mid-set-up.
        if plan.privacy.sampleLevel, let limit = OpenFileLimit.current, plan.hospitals + 64 > limit {
            throw UsageError("--hospitals \(plan.hospitals) keeps \(plan.hospitals) ledgers open, but this process may open "
                             + "only \(limit) files; raise the limit (ulimit -n \(plan.hospitals + 64)) or use fewer hospitals")
        }
        // Remote hospitals first: with no local ones, their description of the data (never a record)
        // decides the model.
        let remotes = try RemoteAttachment.connect(plan)
        let layout = try FederationLayout(plan: plan, remoteFacts: remotes.first.map { DataFacts($0.introduction) })
        let facts = layout.facts, kind = layout.modelKind
        var model = try Self.usage { try layout.initialModel(seed: plan.seed) }
        centralTest = layout.centralTest
        for remote in remotes {
            do { try remote.adopt(model) } catch { throw UsageError("--hospital \(remote.endpoint): \(error)") }
            if plan.secureAggregation != nil, !remote.introduction.offersSecureAggregation {
                throw UsageError("--hospital \(remote.endpoint): \(remote.name) does not offer secure aggregation "
                                 + "(an older fedtop hospital?); run without --secure-aggregation or update it")
            }
            if plan.federatedDropout.map({ $0 < 1 }) == true, !remote.introduction.offersFederatedDropout {
                throw UsageError("--hospital \(remote.endpoint): \(remote.name) does not train federated-dropout sub-models "
                                 + "(an older fedtop hospital?); run without --federated-dropout or update it")
            }
        }

        // The run directory: created for a new run (and removed again if the start fails), verified on resume.
        let name = plan.name ?? "\(facts.name)-\(kind)"
        directory = plan.out ?? FederationSetup.defaultDirectory(name: name)
        let cleanup = FailedStartCleanup(directory: plan.resume ? nil : directory)
        defer { cleanup.undoUnlessCommitted() }
        do {
            try POSIXFile.makeDirectories(directory + "/ledgers")
        } catch { throw UsageError("--out \(directory): cannot create the run directory: \(error.path): \(error.reason)") }

        // The run's options, signing key and checkpoints: created for a new run, verified on resume.
        // The private key and the ledgers' seal live outside the run folder (RunKeys).
        let store: CheckpointStore
        let runKeys: RunKeys
        var startRound = 1
        var resumedFrom: Int?
        var serverState: [String: Tensor] = [:]
        do {
            if plan.resume {
                let signer: CheckpointSigner
                (runKeys, signer) = try RunKeys.open(runDirectory: directory)
                store = try CheckpointStore(directory: directory, signer: signer, encryptAtRest: plan.encryptCheckpoints)
                let checkpoint = try store.loadLatest(into: &model)
                startRound = checkpoint.round + 1
                resumedFrom = checkpoint.round
                serverState = checkpoint.tensors.filter { $0.key.hasPrefix("server.") }
            } else {
                guard !FileManager.default.fileExists(atPath: directory + "/run.json") else {
                    throw UsageError("\(directory) already holds a run; continue it with --resume \(directory) or choose another --out")
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try POSIXFile.replaceAtomically(directory + "/run.json", with: Array(try encoder.encode(plan.options)))
                let signer: CheckpointSigner
                (runKeys, signer) = try RunKeys.create(runDirectory: directory)
                cleanup.keys = runKeys
                store = try CheckpointStore(directory: directory, signer: signer, encryptAtRest: plan.encryptCheckpoints)
                try store.save(model, round: 0, metadata: ["fedtop.dataset": facts.name])
            }
        } catch let error as UsageError {
            throw error
        } catch {
            throw RunError("\(error)")
        }
        keys = runKeys
        guard startRound <= plan.rounds else {
            throw UsageError("the run in \(directory) already completed round \(startRound - 1) of \(plan.rounds); "
                             + "give --rounds N with N > \(startRound - 1) to continue it")
        }

        // The federation itself: hospitals, σ, client-level DP, the engine and its recorder (the library's builder).
        let built: BuiltFederation
        do {
            var simulations: [String: SimulatedHospital] = [:]
            for s in plan.simulations {
                simulations[s.hospital] = SimulatedHospital(knobs: s.knobs, attack: try s.attack(featureShape: facts.featureShape,
                                                                                                  hospitals: plan.totalHospitals))
            }
            let keys = runKeys
            built = try FederationBuilder.build(
                plan.federationPlan(name: name, simulations: simulations), layout: layout, model: model, remotes: remotes,
                storage: RunStorage(directory: directory, checkpoints: store, seal: { try keys.seal($0) }, startRound: startRound,
                                    serverState: serverState),
                auditor: liveAudit ? Self.liveAudit(shares: layout.shares, centralTest: layout.centralTest, seed: plan.seed) : nil)
        } catch let error as FederationError {
            if case .runFile = error { throw RunError("\(error)") }
            throw UsageError("\(error)")
        } catch let error as UsageError {
            throw error
        } catch { throw UsageError("\(error)") }
        self.built = built
        engine = built.engine
        recorder = built.recorder
        hospitals = built.hospitals
        localHospitals = built.localHospitals
        remoteHospitals = remotes
        distributedNoiseTemplate = built.distributedNoise
        let engine = built.engine
        for remote in remotes {
            remote.onConnectionChange { h, connected, detail in
                engine.reportConnection(hospital: h.name, connected: connected, detail: detail)
            }
        }
        if let resumedFrom {
            do {
                try recorder.audit.append(AuditLog.entry("resume", details: ["fromRound": String(resumedFrom),
                                                                              "checkpoint": store.checkpointPath]))
                try recorder.audit.sync()
            } catch { throw UsageError("\(error)") }
        }
        description = Self.describe(plan, name: name, layout: layout, model: model, strategy: built.strategyName,
                                    sigma: built.noiseMultiplier, remotes: remotes, resumedFrom: resumedFrom,
                                    notes: runKeys.notes + built.notes, directory: directory)
        cleanup.committed = true
    }

    /// `body`, its ``FederationError`` as a usage error (exit 2).
    private static func usage<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FederationError { throw UsageError("\(error)") }
    }

    /// What the run says before its first round: data, placement, model, strategy, privacy, and notes.
    private static func describe(_ plan: RunPlan, name: String, layout: FederationLayout, model: Sequential, strategy: String,
                                 sigma: Double, remotes: [RemoteHospital], resumedFrom: Int?, notes: [String],
                                 directory: String) -> String {
        var placement = "across \(plan.hospitals) hospitals (\(layout.scheme))"
        if !remotes.isEmpty {
            placement = (plan.hospitals > 0 ? "across \(plan.hospitals) local hospitals (\(layout.scheme)) and" : "across")
                + " \(remotes.count) remote (" + remotes.map { "\($0.name) at \($0.endpoint.address)" }.joined(separator: ", ") + ")"
        }
        let records = layout.hospitalRecords.map { "\($0) records" } ?? "records at the hospitals"
        var text = "fedtop: \(name): \(layout.facts.name) (\(records)) \(placement), "
            + "\(layout.modelKind) (\(model.parameterCount) parameters), \(strategy), \(plan.rounds) rounds; DP \(plan.privacy.rawValue)"
        if plan.privacy.sampleLevel { text += String(format: ", σ %.3f C %g", sigma, plan.clip) }
        if let e = plan.epsilon { text += String(format: ", budget ε %g δ %g", e, plan.delta) }
        if let centralTest = layout.centralTest { text += "; central hold-out of \(centralTest.count) records" }
        if let sa = plan.secureAggregation {
            text += String(format: "; secure aggregation (%d-bit, range ±%g)", sa.bits, sa.clipRange)
        }
        if plan.noiseSeed != nil { text += " (seeded noise: reproducible, not secure)" }
        if plan.insecure {
            text += "\nfedtop: INSECURE: remote hospitals over plaintext, without certificates or signed models (--insecure, loopback demos only)"
        }
        if let resumedFrom { text += "\nfedtop: resumed after round \(resumedFrom) (signed checkpoint verified; ledgers intact)" }
        for note in notes { text += "\nfedtop: \(note)" }
        return text + "\nfedtop: run directory \(directory)"
    }

    /// The console's live membership inference on a simulated federation: members from the local
    /// hospitals' training records, non-members from records none trained on (the central hold-out, or
    /// their test splits), 300 of each at most. Nil without local hospitals.
    static func liveAudit(shares: [HospitalData], centralTest: Dataset?, seed: UInt64) -> LiveMembershipAudit? {
        guard !shares.isEmpty else { return nil }
        let outside = centralTest.map { [$0] } ?? shares.map(\.test)
        guard let targets = try? MembershipTargets.balanced(members: shares.map(\.train), nonMembers: outside,
                                                            limit: 300, seed: seed ^ 0xa0d1) else { return nil }
        return LiveMembershipAudit(targets: targets)
    }

    static func defaultDirectory(name: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.locale = Locale(identifier: "en_US_POSIX")
        return "runs/\(f.string(from: Date()))-\(name)"
    }

    /// Runs without a console: one line per round (or JSON events); SIGINT stops after the round.
    func runHeadless() throws -> RunOutcome {
        print(description)
        fflush(nil)
        let printer = HeadlessPrinter(rounds: plan.rounds, json: plan.json, budget: plan.epsilon,
                                      seeded: plan.noiseSeed != nil, hospitals: plan.totalHospitals)
        let consumer = EventConsumer(engine.bus.subscribe(capacity: plan.json ? 4096 : 256), name: "fedtop.headless") {
            printer.handle($0)
        }
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let engine = self.engine
        interrupt.setEventHandler {
            FileHandle.standardError.write(Data("fedtop: stopping after this round (interrupt again to quit now)\n".utf8))
            engine.send(.stop)
            signal(SIGINT, SIG_DFL)
        }
        interrupt.resume()
        engine.start()
        let outcome = engine.wait()
        consumer.wait()
        for problem in recorder.finish() {
            FileHandle.standardError.write(Data("fedtop: warning: \(problem)\n".utf8))
        }
        interrupt.cancel()
        return outcome
    }
}

extension FederationSetup {
    /// Runs without printing (benchmarks); returns the outcome and the completed rounds.
    func runQuietly() -> (RunOutcome, [RoundSummary]) { built.runQuietly() }
}

/// A run that cannot go on (a refused checkpoint, an unusable key): exit status 1.
struct RunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Undoes a new run's start that failed: removes the run folder it created (or the files it put in an
/// empty one) and the run's key folder, so that the same `--out` can be used again.
final class FailedStartCleanup {
    private let directory: String?
    private let existedEmpty: Bool
    var keys: RunKeys?
    var committed = false

    /// - Parameter directory: the new run's folder (nil for a resumed run: nothing is undone).
    init(directory: String?) {
        self.directory = directory
        let fm = FileManager.default
        existedEmpty = directory.map { fm.fileExists(atPath: $0) && ((try? fm.contentsOfDirectory(atPath: $0))?.isEmpty ?? false) } ?? false
        if let directory, fm.fileExists(atPath: directory), !existedEmpty {
            self.directoryAlreadyHeldFiles = true
        } else {
            self.directoryAlreadyHeldFiles = false
        }
    }

    /// A folder that held files before this start is never touched.
    private let directoryAlreadyHeldFiles: Bool

    func undoUnlessCommitted() {
        guard !committed, let directory, !directoryAlreadyHeldFiles else { return }
        keys?.discard()
        let fm = FileManager.default
        if existedEmpty {
            for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] { try? fm.removeItem(atPath: directory + "/" + entry) }
        } else {
            try? fm.removeItem(atPath: directory)
        }
    }
}
