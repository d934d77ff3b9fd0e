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

    init(options plan: RunPlan) throws {
        self.plan = plan
        // Each local hospital keeps its ledger open; say so now rather than fail mid-set-up.
        if plan.privacy.sampleLevel, let limit = OpenFileLimit.current, plan.hospitals + 64 > limit {
            throw UsageError("--hospitals \(plan.hospitals) keeps \(plan.hospitals) ledgers open, but this process may open "
                             + "only \(limit) files; raise the limit (ulimit -n \(plan.hospitals + 64)) or use fewer hospitals")
        }
        // Remote hospitals first: with no local ones, their description of the data (never a record)
        // decides the model.
        let remotes = try RemoteAttachment.connect(plan)
        let layout = try FederationData(plan: plan, remoteFacts: remotes.first.map { DataFacts($0.introduction) })
        let data = layout.data, facts = layout.facts, centralTest = layout.centralTest, scheme = layout.scheme
        let kind = layout.modelKind
        var model = try layout.initialModel(plan)
        self.centralTest = centralTest
        for remote in remotes {
            do { try remote.adopt(model) } catch { throw UsageError("--hospital \(remote.endpoint): \(error)") }
            if plan.secureAggregation != nil, !remote.introduction.offersSecureAggregation {
                throw UsageError("--hospital \(remote.endpoint): \(remote.name) does not offer secure aggregation "
                                 + "(an older fedtop hospital?); run without --secure-aggregation or update it")
            }
        }
        var strategy: any Strategy
        do { strategy = try StrategyParser.parse(plan.strategy) } catch { throw UsageError("--strategy: \(error)") }

        // The run directory and its ledgers.
        let name = plan.name ?? "\(facts.name)-\(kind)"
        directory = plan.out ?? FederationSetup.defaultDirectory(name: name)
        // A new run whose start fails leaves nothing behind (no run folder, no key), so the same --out works next time.
        let cleanup = FailedStartCleanup(directory: plan.resume ? nil : directory)
        defer { cleanup.undoUnlessCommitted() }
        do {
            try FileManager.default.createDirectory(atPath: directory + "/ledgers", withIntermediateDirectories: true)
        } catch { throw UsageError("--out \(directory): cannot create the run directory: \(error.localizedDescription)") }

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

        // Hospitals: each standardises its own records with its own statistics (nothing leaves).
        let gate = ComputeGate()
        var locals: [LocalHospital] = []
        for (i, local) in layout.shares.enumerated() {
            let hospitalName = "hospital-\(i + 1)"
            let privacy = plan.privacy.sampleLevel
                ? LocalHospital.Privacy(ledgerPath: "\(directory)/ledgers/\(hospitalName).ledger", epsilonBudget: plan.epsilon!,
                                        delta: plan.delta, noiseSeed: plan.noiseSeed.map { $0 &+ UInt64(i) &* 1_000_003 },
                                        seal: try keys.seal(hospitalName), raiseReason: plan.budgetReason)
                : nil
            let simulation = plan.simulations.last { $0.hospital == hospitalName }
            // A simulated hospital's policy follows the run (HospitalPolicy.simulated); `fedtop hospital` is where an
            // operator declares a real one.
            let policy = HospitalPolicy.simulated(requiresDPSGD: plan.privacy.sampleLevel)
            let hospital: LocalHospital
            do {
                hospital = try LocalHospital(name: hospitalName, data: local, architecture: model, privacy: privacy, policy: policy,
                                             knobs: simulation?.knobs ?? .init(), seed: plan.seed &+ UInt64(i + 1) &* 7919, gate: gate)
            } catch { throw UsageError("\(error)") }
            hospital.attack = try simulation?.attack(featureShape: facts.featureShape, hospitals: plan.totalHospitals)
            locals.append(hospital)
        }
        let hospitals: [any SampleLevelAccounting] = locals + remotes
        var names = Set<String>()
        for h in hospitals where !names.insert(h.name).inserted {
            throw UsageError("two hospitals are named '\(h.name)' (local hospitals are hospital-1 … hospital-\(plan.hospitals); "
                             + "remote ones are named by their certificates)")
        }
        if plan.privacy.sampleLevel, let r = remotes.first(where: { !$0.introduction.dpSGD }) {
            throw UsageError("--hospital \(r.endpoint): \(r.name) does not train with DP-SGD, which --dp \(plan.privacy.rawValue) needs")
        }
        self.hospitals = hospitals
        localHospitals = locals
        remoteHospitals = remotes

        // Budgets are the ledgers' own (PrivacyLedger's rules at open: a lower ε is recorded, a higher one needs
        // --raise-budget REASON); every change is audited. Remote hospitals own theirs.
        var budgetChanges: [(party: String, from: Double, to: Double)] = []
        for h in locals {
            if let from = h.budgetAtOpen, let to = h.epsilonBudget, from != to { budgetChanges.append((h.name, from, to)) }
        }

        // Sample-level σ: calibrated so that every hospital ends the planned rounds within its budget.
        var sigma = plan.noise ?? 0
        if plan.privacy.sampleLevel, plan.noise == nil {
            sigma = 0
            // Hospitals with equal shares and nothing spent yet need the same σ: calibrate each case once
            // (a thousand hospitals are a few distinct cases).
            var calibrated: [String: Double] = [:]
            for h in hospitals {
                let (q, perRound) = h.roundSampling(batchSize: plan.batchSize, localEpochs: plan.localEpochs)
                let steps = (plan.rounds - startRound + 1) * perRound
                let spent = h.accountant ?? RDPAccountant()
                // A remote hospital's own budget may be tighter than the run's.
                let target = min(plan.epsilon!, h.epsilonBudget ?? plan.epsilon!)
                let key = "\(q):\(steps):\(target)"
                if spent.segments.isEmpty, let s = calibrated[key] {
                    sigma = max(sigma, s)
                    continue
                }
                guard let s = try Calibration.noiseMultiplier(targetEpsilon: target, sampleRate: q, steps: steps,
                                                              delta: plan.delta, spent: spent) else {
                    throw UsageError("no noise multiplier keeps \(h.name) within ε = \(target) over \(plan.rounds) rounds "
                                     + "(already spent \(String(format: "%.3f", h.epsilonSpent)))")
                }
                if spent.segments.isEmpty { calibrated[key] = s }
                sigma = max(sigma, s)
            }
        }

        try RemoteAttachment.checkPolicies(remotes, plan: plan, noiseMultiplier: sigma, firstRound: startRound)

        // Client-level DP: DP-FedAvg wraps the strategy; the federation owns a ledger.
        var federationLedger: PrivacyLedger?
        if plan.privacy.clientLevel {
            guard case .rate(let q) = plan.selection else { throw UsageError("client-level DP needs --sample-rate") }
            let ledger: PrivacyLedger
            do {
                ledger = try PrivacyLedger(path: directory + "/ledgers/federation.ledger", budget: (plan.epsilon!, plan.delta),
                                           seal: try keys.seal("federation"), raiseReason: plan.budgetReason,
                                           holdBudgetChange: true)
            } catch { throw UsageError("\(error)") }
            federationLedger = ledger
            if let from = ledger.recordedBudget?.epsilon, from != ledger.budget.epsilon {
                budgetChanges.append(("federation", from, ledger.budget.epsilon))
            }
            var z = plan.clientNoise ?? 0
            if plan.clientNoise == nil, let noise = try Self.distributedNoise(plan, parameters: model.parameterCount) {
                // Distributed Skellam noise: calibrated on its own accountant (Skellam RDP, general subsampling bound).
                guard let variance = try Calibration.skellamVariance(targetEpsilon: plan.epsilon!, sampleRate: q,
                                                                     l1Sensitivity: noise.l1Sensitivity, l2Sensitivity: noise.l2Sensitivity,
                                                                     steps: plan.rounds - startRound + 1, delta: plan.delta,
                                                                     spent: ledger.accountant) else {
                    throw UsageError("no distributed noise keeps the federation within ε = \(plan.epsilon!) over \(plan.rounds) rounds")
                }
                z = DistributedSkellam.noiseMultiplier(variance: variance, l2Sensitivity: noise.l2Sensitivity)
            } else if plan.clientNoise == nil {
                guard let calibrated = try Calibration.noiseMultiplier(targetEpsilon: plan.epsilon!, sampleRate: q,
                                                                      steps: plan.rounds - startRound + 1,
                                                                      delta: plan.delta, spent: ledger.accountant) else {
                    throw UsageError("no client-level noise keeps the federation within ε = \(plan.epsilon!) over \(plan.rounds) rounds")
                }
                z = calibrated
            }
            let expected = q * Double(plan.totalHospitals)
            let adaptive = plan.adaptiveClip
                ? try ClientLevelDP.AdaptiveClipping(countNoise: max(expected / 20, z)) : nil
            let mechanism = try ClientLevelDP(noiseMultiplier: z, clipNorm: plan.clientClip, expectedParticipants: expected,
                                              adaptive: adaptive)
            do {
                strategy = try DPFedAvg(wrapping: strategy, mechanism: mechanism, sampleRate: q,
                                        noiseSeed: plan.noiseSeed.map { $0 ^ 0xfed })
            } catch { throw UsageError("\(error)") }
        }

        // A resumed server continues exactly: FedOpt's moments, an adaptive clip norm.
        do { try strategy.restoreServerState(serverState) } catch {
            throw RunError("the checkpoint in \(directory) does not fit --strategy \(strategy.name): \(error)")
        }

        distributedNoiseTemplate = try Self.distributedNoise(plan, parameters: model.parameterCount)
        let configuration = EngineConfiguration(
            name: name, dataset: facts.name, rounds: plan.rounds, localEpochs: plan.localEpochs, batchSize: plan.batchSize,
            learningRate: plan.learningRate, momentum: plan.momentum, privacy: plan.privacy, noiseMultiplier: sigma,
            clipNorm: plan.clip, delta: plan.delta, epsilonBudget: plan.epsilon, selection: plan.selection,
            quorum: plan.quorum, deadline: plan.deadline, seed: plan.seed, maxUpdateNorm: plan.maxUpdateNorm,
            startRound: startRound, secureNoise: plan.noiseSeed == nil, secureAggregation: plan.secureAggregation)
        let bus = EventBus()
        do {
            engine = try Engine(configuration: configuration, model: model, hospitals: hospitals, strategy: strategy,
                                federationLedger: federationLedger, centralTest: centralTest, checkpoint: store, bus: bus,
                                auditor: Self.liveAudit(shares: layout.shares, centralTest: centralTest, seed: plan.seed))
            recorder = try RunRecorder(directory: directory, bus: bus)
            let engine = self.engine
            for remote in remotes {
                remote.onConnectionChange { h, connected, detail in
                    engine.reportConnection(hospital: h.name, connected: connected, detail: detail)
                }
            }
            // The start has succeeded: only now are budget changes (--epsilon on --resume) written to the ledgers, so a
            // refused resume leaves them as they were.
            for h in locals { try h.commitBudget() }
            try federationLedger?.commitBudget()
            for change in budgetChanges {
                try recorder.audit.append(AuditLog.entry("budget-changed", details: [
                    "party": change.party, "from": String(change.from), "to": String(change.to),
                    "reason": change.to > change.from ? plan.budgetReason ?? "" : "lowered at open"]))
            }
            try recorder.audit.sync()
            if let resumedFrom {
                try recorder.audit.append(AuditLog.entry("resume", details: ["fromRound": String(resumedFrom),
                                                                              "checkpoint": store.checkpointPath]))
                try recorder.audit.sync()
            }
        } catch { throw UsageError("\(error)") }
        var placement = "across \(plan.hospitals) hospitals (\(scheme))"
        if !remotes.isEmpty {
            placement = (plan.hospitals > 0 ? "across \(plan.hospitals) local hospitals (\(scheme)) and" : "across")
                + " \(remotes.count) remote (" + remotes.map { "\($0.name) at \($0.endpoint.address)" }.joined(separator: ", ") + ")"
        }
        let records = data.map { "\($0.count) records" } ?? "records at the hospitals"
        var text = "fedtop: \(name): \(facts.name) (\(records)) \(placement), "
            + "\(kind) (\(model.parameterCount) parameters), \(strategy.name), \(plan.rounds) rounds; DP \(plan.privacy.rawValue)"
        if plan.privacy.sampleLevel { text += String(format: ", σ %.3f C %g", sigma, plan.clip) }
        if let e = plan.epsilon { text += String(format: ", budget ε %g δ %g", e, plan.delta) }
        if let centralTest { text += "; central hold-out of \(centralTest.count) records" }
        if let sa = plan.secureAggregation {
            text += String(format: "; secure aggregation (%d-bit, range ±%g)", sa.bits, sa.clipRange)
        }
        if plan.noiseSeed != nil { text += " (seeded noise: reproducible, not secure)" }
        if plan.insecure {
            text += "\nfedtop: INSECURE: remote hospitals over plaintext, without certificates or signed models (--insecure, loopback demos only)"
        }
        if let resumedFrom { text += "\nfedtop: resumed after round \(resumedFrom) (signed checkpoint verified; ledgers intact)" }
        for note in keys.notes + locals.flatMap(\.ledgerNotes) + (federationLedger?.notes ?? []) { text += "\nfedtop: \(note)" }
        description = text + "\nfedtop: run directory \(directory)"
        cleanup.committed = true
    }

    /// Client-level DP's distributed Skellam noise at z = 1 under secure aggregation (its sensitivities and
    /// contributors, as the engine derives them each round), or nil.
    static func distributedNoise(_ plan: RunPlan, parameters: Int) throws -> DistributedSkellam? {
        guard let secure = plan.secureAggregation, plan.privacy.clientLevel, case .rate(let q) = plan.selection else { return nil }
        do {
            return try DistributedSkellam(
                noiseMultiplier: 1, clipNorm: plan.clientClip, sampleRate: q, bits: secure.bits, parameters: parameters,
                contributors: DistributedSkellam.minimumContributors(quorum: plan.quorum, expectedParticipants: q * Double(plan.totalHospitals)))
        } catch { throw UsageError("\(error)") }
    }

    /// The console's live membership inference on a simulated federation: members from the local
    /// hospitals' training records, non-members from records none trained on (the central hold-out, or
    /// their test splits), 300 of each at most. Nil without local hospitals.
    static func liveAudit(shares: [HospitalData], centralTest: Dataset?, seed: UInt64) -> LiveMembershipAudit? {
        guard !shares.isEmpty else { return nil }
        let outside = centralTest ?? Dataset.concatenating(shares.map(\.test))
        guard let targets = try? MembershipTargets.balanced(members: Dataset.concatenating(shares.map(\.train)), nonMembers: outside,
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
    func runQuietly() -> (RunOutcome, [RoundSummary]) {
        let subscription = engine.bus.subscribe(capacity: 1 << 20)
        engine.start()
        let outcome = engine.wait()
        _ = recorder.finish()
        var rounds: [RoundSummary] = []
        while let e = subscription.next() {
            if case .roundCompleted(let s) = e.kind { rounds.append(s) }
        }
        return (outcome, rounds)
    }
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
