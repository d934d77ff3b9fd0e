import Federation
import Privacy
import Foundation

/// Everything the console shows, reduced from the engine's events: a value type with no I/O, so a
/// test feeds it a scripted sequence and checks the result, and a replay rebuilds it from a journal.
///
/// Contract: ``apply(_:)`` is the only way engine state enters the model; the values it shows for
/// σ, C, the learning rate, pause and dropped hospitals change only on the engine's
/// `commandApplied` (or on the settings a round starts with), never on a key press — the screen
/// shows what the engine applied. Commands sent but not answered yet are listed in ``awaiting``.
public struct DashboardModel: Sendable, Equatable {
    public var facts: FederationFacts
    public private(set) var run: RunDescription?
    /// The round in progress (or the last one, between rounds).
    public private(set) var round = 0
    public private(set) var phase = RoundPhase.idle
    /// Whether the engine has applied a pause (and not a resume).
    public private(set) var paused = false
    public private(set) var outcome: RunOutcome?
    /// Seconds since the run started, as of the latest event or ``tick(time:)``.
    public private(set) var time = 0.0
    public private(set) var points: [RoundPoint] = []
    /// Where the noise, clip or learning rate changed (the chart marks them).
    public private(set) var changes: [SettingChange] = []
    public private(set) var hospitals: [HospitalRow] = []
    public private(set) var log = LogRing(capacity: 500)

    // Privacy settings in force (as the engine last reported them).
    public private(set) var noiseMultiplier: Double?
    public private(set) var clipNorm: Double?
    public private(set) var learningRate: Double?
    public private(set) var batchSize: Int?
    public private(set) var localEpochs: Int?
    public private(set) var federationEpsilon: Double?
    /// The latest aggregate evaluation.
    public private(set) var lastEvaluation: EvaluationMetrics?

    // The aggregator this round.
    public private(set) var selected: [String] = []
    public private(set) var updatesIn = 0
    public private(set) var rejected: [(hospital: String, reason: String)] = []
    public private(set) var lastCheckpoint: String?
    /// The last round's model exchange: bytes each way and federated dropout's kept fraction.
    public private(set) var communication: RoundCommunication?
    /// The current (or last) secure round's phase and counts, when secure aggregation is on.
    public private(set) var secureAggregation: SecureAggregationStatus?
    public private(set) var federationBudgetSpent = false
    /// The audit view: leave-one-out influence of each update in the last round with a malicious hospital.
    public private(set) var influence: [HospitalInfluence] = []
    /// The latest live membership-inference measurement of the global model, and the AUC of each round.
    public private(set) var membershipAudit: MembershipAuditSnapshot?
    public private(set) var membershipHistory: [Double] = []

    /// Commands sent to the engine and not yet answered.
    public private(set) var awaiting: [EngineCommand] = []
    /// The engine's answer to the last command, in words.
    public private(set) var lastCommandResult: String?

    /// The projection at the settings in force (set by the session after each round).
    public var forecast: PrivacyForecast?

    public init(facts: FederationFacts = .none) {
        self.facts = facts
        hospitals = facts.hospitals.map {
            var row = HospitalRow(name: $0.name, location: $0.location, records: $0.records)
            row.policy = $0.policy
            row.training = $0.training
            return row
        }
    }

    public static func == (a: DashboardModel, b: DashboardModel) -> Bool {
        a.run == b.run && a.round == b.round && a.phase == b.phase && a.paused == b.paused && a.outcome == b.outcome
            && a.time == b.time && a.points == b.points && a.changes == b.changes && a.hospitals == b.hospitals
            && a.log == b.log && a.noiseMultiplier == b.noiseMultiplier && a.clipNorm == b.clipNorm
            && a.awaiting == b.awaiting && a.forecast == b.forecast && a.updatesIn == b.updatesIn
            && a.rejected.map(\.hospital) == b.rejected.map(\.hospital) && a.lastCommandResult == b.lastCommandResult
    }

    // MARK: - Derived

    public var plannedRounds: Int { run?.rounds ?? 0 }
    public var epsilonBudget: Double? { run?.epsilonBudget }
    public var delta: Double? { run?.delta }
    public var seeded: Bool { run.map { !$0.secureNoise } ?? false }
    /// Which DP the run uses: the engine's word once it has started, the set-up's before.
    public var privacyMode: PrivacyMode { run?.privacy.mode ?? facts.privacy }
    public var privacyOn: Bool { privacyMode != .off }
    public var clientLevel: Bool { privacyMode.clientLevel }
    public var sampleLevel: Bool { privacyMode.sampleLevel }
    public var lastCompletedRound: Int { points.last?.round ?? max(0, (run?.startRound ?? 1) - 1) }

    /// The highest ε any party has spent (the headline figure).
    public var epsilonSpent: Double? {
        let hospitalMax = hospitals.compactMap(\.epsilon).max()
        switch (hospitalMax, federationEpsilon) {
        case let (h?, f?): return max(h, f)
        case let (h?, nil): return h
        case let (nil, f?): return f
        default: return privacyOn ? 0 : nil
        }
    }

    /// The sampling rate q shown: client-level q, or the sample-level batch rate (the largest among hospitals).
    public var sampleRate: Double? {
        if clientLevel, let q = facts.clientSampleRate { return q }
        guard let b = batchSize else { return nil }
        let rates = hospitals.filter { $0.records > 0 }.map { min(1, Double(b) / Double($0.records)) }
        return rates.max()
    }

    /// The engine state in words: `TRAINING 4/5`, `AGGREGATING`, `PAUSED`, `BUDGET EXHAUSTED`.
    public var stateWords: String {
        if let outcome {
            switch outcome {
            case .finished: return "FINISHED"
            case .stopped: return "STOPPED"
            case .budgetExhausted: return "BUDGET EXHAUSTED"
            case .failed: return "FAILED"
            case .diverged: return "DIVERGED"
            }
        }
        if phase == .paused { return "PAUSED" }
        let pausing = awaiting.contains(.pause) || awaiting.contains(.stop)
        if paused && phase != .idle { return "STEP \(phase)" }
        return pausing ? "\(phase) · \(awaiting.contains(.stop) ? "STOPPING" : "PAUSING")" : phase.description
    }

    /// The headline ε (the highest any party has spent) after each completed round, from the rounds'
    /// summaries: each party's ε only grows, so the running maximum over rounds is the headline as of
    /// that round. Empty without DP.
    public var epsilonByRound: [EpsilonPoint] {
        guard privacyOn else { return [] }
        var headline = 0.0
        var out: [EpsilonPoint] = []
        for p in points {
            for e in [p.federationEpsilon, p.maxHospitalEpsilon].compactMap({ $0 }) where e.isFinite { headline = max(headline, e) }
            out.append(EpsilonPoint(round: p.round, epsilon: headline))
        }
        return out
    }

    /// Mean seconds per completed round.
    public var secondsPerRound: Double? {
        let s = points.map(\.seconds)
        return s.isEmpty ? nil : s.reduce(0, +) / Double(s.count)
    }

    /// Seconds until the planned rounds end at the mean round time (nil while paused or unknown).
    public var eta: Double? {
        guard outcome == nil, !paused, let s = secondsPerRound else { return nil }
        return s * Double(max(0, plannedRounds - lastCompletedRound))
    }

    /// The log entries whose kind or text matches `filter` (all when it is empty).
    public func logEntries(matching filter: String) -> [LogEntry] {
        let f = filter.lowercased()
        guard !f.isEmpty else { return log.entries }
        if let kind = LogKind.allCases.first(where: { $0.rawValue.hasPrefix(f) }) {
            return log.entries.filter { $0.kind == kind }
        }
        return log.entries.filter { $0.text.lowercased().contains(f) }
    }

    // MARK: - Updates from the console

    /// Notes a command sent to the engine (shown as awaiting until the engine answers).
    public mutating func noteSent(_ command: EngineCommand) { awaiting.append(command) }

    /// Advances the clock between events (the header's elapsed time while nothing happens).
    public mutating func tick(time: Double) { self.time = max(self.time, time) }

    /// Adds a line to the log from the console itself (recording started, theme changed).
    public mutating func note(_ text: String, kind: LogKind = .run) {
        log.append(LogEntry(time: time, round: round, kind: kind, text: text))
    }

    // MARK: - Reducing events

    public mutating func apply(_ event: EngineEvent) {
        time = max(time, event.time)
        switch event.kind {
        case .runStarted(let d):
            run = d
            round = d.startRound - 1
            outcome = nil
            for name in d.hospitals where row(name) == nil {
                hospitals.append(HospitalRow(name: name, location: "local", records: 0))
            }
            noiseMultiplier = d.privacy.noiseMultiplier ?? noiseMultiplier
            clipNorm = d.privacy.clipNorm ?? clipNorm
            add(event, .run, "run \(d.name) started: \(d.dataset), \(d.model), \(d.hospitals.count) hospitals, \(d.strategy), DP \(d.privacy)")
        case .phaseChanged(let p):
            phase = p
            if case let .training(k, _) = p { updatesIn = k }
            if p == .paused { paused = true }
        case let .roundStarted(names, settings):
            round = event.round
            selected = names
            updatesIn = 0
            rejected = []
            learningRate = Double(settings.learningRate)
            batchSize = settings.batchSize
            localEpochs = settings.localEpochs
            if let p = settings.samplePrivacy {
                noiseMultiplier = p.noiseMultiplier
                clipNorm = p.clipNorm
            }
            for i in hospitals.indices {
                hospitals[i].stepsDone = 0
                hospitals[i].stepsTotal = 0
                if names.contains(hospitals[i].name) {
                    hospitals[i].status = .training
                } else if hospitals[i].status != .exhausted {
                    hospitals[i].status = hospitals[i].dropped ? .dropped : .idle
                }
            }
            add(event, .round, "round \(event.round) started: \(names.count) selected (\(names.joined(separator: ", ")))")
        case let .progress(h, done, total):
            update(h) {
                $0.stepsDone = done
                $0.stepsTotal = total
            }
        case let .updateReceived(h, loss, clipped, epsilon, seconds):
            update(h) {
                $0.lastLoss = loss
                $0.clippedFraction = clipped
                if let epsilon { $0.epsilon = epsilon }
                $0.lastSeconds = seconds
                $0.status = .delivered
                if $0.stepsTotal > 0 { $0.stepsDone = $0.stepsTotal }
            }
        case let .updateRejected(h, reason):
            rejected.append((h, reason))
            update(h) { $0.status = .rejected; $0.note = reason }
            add(event, .hospital, "\(h): update rejected: \(reason)")
        case let .hospitalDropped(h, reason):
            update(h) { if $0.status != .exhausted { $0.status = .missed }; $0.note = reason }
            add(event, .hospital, "\(h) missed round \(event.round): \(reason)")
        case let .hospitalConnection(h, connected, detail):
            // The connection is its own fact: an update already on its way may still arrive after it is lost.
            update(h) {
                $0.offline = !connected
                $0.note = connected ? nil : detail
            }
            add(event, .hospital, connected ? "\(h) attached again" : "\(h) offline: \(detail)")
        case let .hospitalBudgetExhausted(h, spent, budget):
            update(h) { $0.status = .exhausted; $0.epsilon = spent }
            add(event, .privacy, "\(h): budget exhausted (ε \(fmt(spent)) of \(fmt(budget)))")
        case .roundCompleted(let s):
            round = s.round
            points.append(RoundPoint(s))
            for (name, e) in s.hospitalEpsilon { update(name) { $0.epsilon = e } }
            if let f = s.federationEpsilon { federationEpsilon = f }
            if let n = s.noiseMultiplier { noiseMultiplier = n }
            if let c = s.clipNorm { clipNorm = c }
            if let ev = s.evaluation ?? s.centralEvaluation { lastEvaluation = ev }
            // From a recording or a stream: shown only when its figures are sane.
            if let c = s.communication, c.problem == nil { communication = c }
            var text = "round \(s.round) done: train loss \(fmt(s.trainLoss, 4))"
            if let ev = s.evaluation { text += ", eval loss \(fmt(ev.loss, 4)), accuracy \(fmt(ev.accuracy, 3))" }
            text += ", \(s.aggregated)/\(s.selected) updates, \(fmt(s.seconds, 1)) s"
            add(event, .round, text)
        case .roundFailed(let reason):
            add(event, .warning, "round \(event.round) failed: \(reason)")
        case .influence(let measured):
            let before = Dictionary(influence.map { ($0.hospital, HospitalInfluence.verdict($0.relative)) }, uniquingKeysWith: { a, _ in a })
            influence = measured
            for m in measured where m.malicious {
                update(m.hospital) { $0.malicious = true }
                // A line when the verdict changes (not every round).
                let verdict = HospitalInfluence.verdict(m.relative)
                guard before[m.hospital] != verdict else { continue }
                let relative = m.relative.map { fmt($0, 2) + "× an honest hospital" } ?? fmt(m.change, 3)
                add(event, verdict == "pulls" ? .warning : .hospital,
                    "round \(event.round): \(m.hospital) (malicious) moves the aggregate \(relative) under \(run?.strategy ?? "the strategy"): \(verdict)")
            }
        case .membershipAudit(let snapshot):
            membershipAudit = snapshot
            membershipHistory.append(snapshot.auc)
            if membershipHistory.count > 512 { membershipHistory.removeFirst(membershipHistory.count - 512) }
        case .secureAggregation(let status):
            secureAggregation = status
            switch status.stage {
            case .done:
                add(event, .round, "round \(event.round) secure aggregation: \(status.flow)" + (status.detail.map { " (\($0))" } ?? ""))
            case .aborted:
                add(event, .warning, "round \(event.round) secure aggregation aborted: \(status.detail ?? status.flow)")
            default:
                break
            }
        case let .commandApplied(c, effect):
            resolve(c)
            applied(c, round: event.round)
            lastCommandResult = "applied: \(effect)"
            add(event, .command, "applied: \(effect)")
        case let .commandRefused(c, reason):
            resolve(c)
            lastCommandResult = "refused (\(c)): \(reason)"
            add(event, .command, "refused (\(c)): \(reason)")
        case let .federationBudgetExhausted(spent, budget):
            federationBudgetSpent = true
            federationEpsilon = spent
            add(event, .privacy, "federation budget spent (ε \(fmt(spent)) of \(fmt(budget)))")
        case .checkpointWritten(let path):
            lastCheckpoint = path
            add(event, .checkpoint, "checkpoint of round \(event.round): \(path)")
        case .warning(let w):
            add(event, .warning, w)
        case .runFinished(let o):
            outcome = o
            paused = false
            add(event, .run, "run ended: \(o.rawValue)")
        }
    }

    private mutating func applied(_ c: EngineCommand, round: Int) {
        let from = round + 1
        switch c {
        case .pause: paused = true
        case .resume: paused = false
        case .step, .stop, .setHospitalsPerRound: break
        case .setSampleNoise(let s):
            changes.append(SettingChange(round: from, setting: .noise, value: s.value, previous: noiseMultiplier))
            noiseMultiplier = s.value
        case .setClientNoise(let z):
            changes.append(SettingChange(round: from, setting: .noise, value: z.value, previous: noiseMultiplier))
            noiseMultiplier = z.value
        case .setSampleClip(let c), .setClientClip(let c):
            changes.append(SettingChange(round: from, setting: .clip, value: c.value, previous: clipNorm))
            clipNorm = c.value
        case .setLearningRate(let r):
            changes.append(SettingChange(round: from, setting: .learningRate, value: r, previous: learningRate))
            learningRate = r
        case .dropHospital(let h): update(h) { $0.dropped = true; $0.status = .dropped }
        case .restoreHospital(let h): update(h) { $0.dropped = false; if $0.status == .dropped { $0.status = .idle } }
        case let .setMalicious(h, on): update(h) { $0.malicious = on }
        }
    }

    private mutating func resolve(_ c: EngineCommand) {
        if let i = awaiting.firstIndex(of: c) { awaiting.remove(at: i) }
    }

    func row(_ name: String) -> Int? { hospitals.firstIndex { $0.name == name } }

    private mutating func update(_ name: String, _ change: (inout HospitalRow) -> Void) {
        if row(name) == nil { hospitals.append(HospitalRow(name: name, location: "local", records: 0)) }
        change(&hospitals[row(name)!])
    }

    private mutating func add(_ event: EngineEvent, _ kind: LogKind, _ text: String) {
        log.append(LogEntry(time: event.time, round: event.round, kind: kind, text: text))
    }
}

/// One completed round, as the training chart plots it.
public struct RoundPoint: Sendable, Equatable {
    public var round: Int
    public var trainLoss: Double
    public var evalLoss: Double?
    public var accuracy: Double?
    public var federationEpsilon: Double?
    public var maxHospitalEpsilon: Double?
    public var seconds: Double
    public var aggregated: Int
    public var selected: Int

    init(_ s: RoundSummary) {
        round = s.round
        trainLoss = s.trainLoss
        let ev = s.evaluation ?? s.centralEvaluation
        evalLoss = ev?.loss
        accuracy = ev?.accuracy
        federationEpsilon = s.federationEpsilon
        maxHospitalEpsilon = s.hospitalEpsilon.values.max()
        seconds = s.seconds
        aggregated = s.aggregated
        selected = s.selected
    }
}

/// A setting the operator changed, applied from `round` on: what it was (nil when the console had
/// not seen it yet) and what it became.
public struct SettingChange: Sendable, Equatable {
    public enum Setting: String, Sendable { case noise, clip, learningRate }
    public var round: Int
    public var setting: Setting
    public var value: Double
    public var previous: Double?

    public init(round: Int, setting: Setting, value: Double, previous: Double? = nil) {
        self.round = round
        self.setting = setting
        self.value = value
        self.previous = previous
    }
}

/// One hospital's row in the table.
public struct HospitalRow: Sendable, Equatable {
    /// Where a hospital stands in the current round.
    public enum Status: String, Sendable {
        case idle, training, delivered, rejected, missed, dropped, exhausted
    }

    public var name: String
    public var location: String
    public var records: Int
    /// Its own privacy policy in one line, as it announced it.
    public var policy: String?
    /// How it trains besides DP-SGD (``FederationFacts/Hospital/training``).
    public var training: String?
    public var status = Status.idle
    public var lastLoss: Double?
    public var epsilon: Double?
    public var clippedFraction: Double?
    public var lastSeconds: Double?
    public var stepsDone = 0
    public var stepsTotal = 0
    public var dropped = false
    public var malicious = false
    /// A remote hospital whose connection is lost (until it is attached again).
    public var offline = false
    /// Why it was rejected or missed the round, most recently.
    public var note: String?

    public init(name: String, location: String, records: Int) {
        self.name = name
        self.location = location
        self.records = records
    }

    /// Progress within the round, 0…1.
    public var progress: Double {
        if status == .delivered { return 1 }
        return stepsTotal > 0 ? min(1, Double(stepsDone) / Double(stepsTotal)) : 0
    }
}

/// A number with `digits` decimals (the console's one number format); `∞` for infinity.
extension HospitalInfluence {
    /// The console's word for a relative influence: contained (< 0.5× an honest hospital), pulls the
    /// model (`pulls`, > 1.5×), or `as honest`.
    public static func verdict(_ relative: Double?) -> String {
        guard let r = relative else { return "unmeasured" }
        return r < 0.5 ? "contained" : r > 1.5 ? "pulls" : "as honest"
    }
}

func fmt(_ v: Double, _ digits: Int = 2) -> String {
    guard v.isFinite else { return v > 0 ? "∞" : (v < 0 ? "-∞" : "-") }
    return String(format: "%.\(digits)f", v)
}
