import Foundation
import Privacy

// The JSON form of events (`events.jsonl`, `--json`, recordings' journals): one object per event,
// `{"time":…,"wallTime":…,"round":…,"kind":{"<case>":{…named fields…}}}`, every field named, so
// that scripts can read `.kind.phaseChanged.phase` or `.kind.commandApplied.command.name` without
// knowing Swift's conventions for unlabelled payloads.

extension EngineEvent.Kind {
    private enum Case: String, CodingKey {
        case runStarted, phaseChanged, roundStarted, progress, updateReceived, updateRejected, hospitalDropped, hospitalConnection
        case hospitalBudgetExhausted, roundCompleted, roundFailed, commandApplied, commandRefused
        case federationBudgetExhausted, checkpointWritten, warning, runFinished, secureAggregation
        case influence, membershipAudit
    }

    private enum Field: String, CodingKey {
        case description, phase, selected, settings, hospital, stepsDone, stepsTotal, trainLoss, clippedFraction
        case epsilon, seconds, reason, spent, budget, summary, command, effect, path, message, outcome, connected, detail, status
        case hospitals, snapshot
    }

    public init(from decoder: any Decoder) throws {
        let outer = try decoder.container(keyedBy: Case.self)
        guard let key = outer.allKeys.first, outer.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "an event kind needs exactly one key"))
        }
        let c = try outer.nestedContainer(keyedBy: Field.self, forKey: key)
        switch key {
        case .runStarted: self = .runStarted(try c.decode(RunDescription.self, forKey: .description))
        case .phaseChanged: self = .phaseChanged(try c.decode(RoundPhase.self, forKey: .phase))
        case .roundStarted:
            self = .roundStarted(selected: try c.decode([String].self, forKey: .selected),
                                 settings: try c.decode(RoundSettings.self, forKey: .settings))
        case .progress:
            self = .progress(hospital: try c.decode(String.self, forKey: .hospital),
                             stepsDone: try c.decode(Int.self, forKey: .stepsDone),
                             stepsTotal: try c.decode(Int.self, forKey: .stepsTotal))
        case .updateReceived:
            self = .updateReceived(hospital: try c.decode(String.self, forKey: .hospital),
                                   trainLoss: try c.decode(Double.self, forKey: .trainLoss),
                                   clippedFraction: try c.decode(Double.self, forKey: .clippedFraction),
                                   epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon),
                                   seconds: try c.decode(Double.self, forKey: .seconds))
        case .updateRejected:
            self = .updateRejected(hospital: try c.decode(String.self, forKey: .hospital),
                                   reason: try c.decode(String.self, forKey: .reason))
        case .hospitalDropped:
            self = .hospitalDropped(hospital: try c.decode(String.self, forKey: .hospital),
                                    reason: try c.decode(String.self, forKey: .reason))
        case .hospitalConnection:
            self = .hospitalConnection(hospital: try c.decode(String.self, forKey: .hospital),
                                       connected: try c.decode(Bool.self, forKey: .connected),
                                       detail: try c.decode(String.self, forKey: .detail))
        case .hospitalBudgetExhausted:
            self = .hospitalBudgetExhausted(hospital: try c.decode(String.self, forKey: .hospital),
                                            spent: try c.decode(Double.self, forKey: .spent),
                                            budget: try c.decode(Double.self, forKey: .budget))
        case .roundCompleted: self = .roundCompleted(try c.decode(RoundSummary.self, forKey: .summary))
        case .secureAggregation: self = .secureAggregation(try c.decode(SecureAggregationStatus.self, forKey: .status))
        case .influence: self = .influence(try c.decode([HospitalInfluence].self, forKey: .hospitals))
        case .membershipAudit: self = .membershipAudit(try c.decode(MembershipAuditSnapshot.self, forKey: .snapshot))
        case .roundFailed: self = .roundFailed(reason: try c.decode(String.self, forKey: .reason))
        case .commandApplied:
            self = .commandApplied(try c.decode(EngineCommand.self, forKey: .command),
                                   effect: try c.decode(String.self, forKey: .effect))
        case .commandRefused:
            self = .commandRefused(try c.decode(EngineCommand.self, forKey: .command),
                                   reason: try c.decode(String.self, forKey: .reason))
        case .federationBudgetExhausted:
            self = .federationBudgetExhausted(spent: try c.decode(Double.self, forKey: .spent),
                                              budget: try c.decode(Double.self, forKey: .budget))
        case .checkpointWritten: self = .checkpointWritten(path: try c.decode(String.self, forKey: .path))
        case .warning: self = .warning(try c.decode(String.self, forKey: .message))
        case .runFinished: self = .runFinished(try c.decode(RunOutcome.self, forKey: .outcome))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Case.self)
        func fields(_ key: Case) -> KeyedEncodingContainer<Field> { outer.nestedContainer(keyedBy: Field.self, forKey: key) }
        switch self {
        case .runStarted(let d):
            var c = fields(.runStarted)
            try c.encode(d, forKey: .description)
        case .phaseChanged(let p):
            var c = fields(.phaseChanged)
            try c.encode(p, forKey: .phase)
        case let .roundStarted(selected, settings):
            var c = fields(.roundStarted)
            try c.encode(selected, forKey: .selected)
            try c.encode(settings, forKey: .settings)
        case let .progress(hospital, done, total):
            var c = fields(.progress)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(done, forKey: .stepsDone)
            try c.encode(total, forKey: .stepsTotal)
        case let .updateReceived(hospital, loss, clipped, epsilon, seconds):
            var c = fields(.updateReceived)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(loss, forKey: .trainLoss)
            try c.encode(clipped, forKey: .clippedFraction)
            try c.encodeIfPresent(epsilon, forKey: .epsilon)
            try c.encode(seconds, forKey: .seconds)
        case let .updateRejected(hospital, reason):
            var c = fields(.updateRejected)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(reason, forKey: .reason)
        case let .hospitalDropped(hospital, reason):
            var c = fields(.hospitalDropped)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(reason, forKey: .reason)
        case let .hospitalConnection(hospital, connected, detail):
            var c = fields(.hospitalConnection)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(connected, forKey: .connected)
            try c.encode(detail, forKey: .detail)
        case let .hospitalBudgetExhausted(hospital, spent, budget):
            var c = fields(.hospitalBudgetExhausted)
            try c.encode(hospital, forKey: .hospital)
            try c.encode(spent, forKey: .spent)
            try c.encode(budget, forKey: .budget)
        case .roundCompleted(let s):
            var c = fields(.roundCompleted)
            try c.encode(s, forKey: .summary)
        case .secureAggregation(let status):
            var c = fields(.secureAggregation)
            try c.encode(status, forKey: .status)
        case .influence(let hospitals):
            var c = fields(.influence)
            try c.encode(hospitals, forKey: .hospitals)
        case .membershipAudit(let snapshot):
            var c = fields(.membershipAudit)
            try c.encode(snapshot, forKey: .snapshot)
        case .roundFailed(let reason):
            var c = fields(.roundFailed)
            try c.encode(reason, forKey: .reason)
        case let .commandApplied(command, effect):
            var c = fields(.commandApplied)
            try c.encode(command, forKey: .command)
            try c.encode(effect, forKey: .effect)
        case let .commandRefused(command, reason):
            var c = fields(.commandRefused)
            try c.encode(command, forKey: .command)
            try c.encode(reason, forKey: .reason)
        case let .federationBudgetExhausted(spent, budget):
            var c = fields(.federationBudgetExhausted)
            try c.encode(spent, forKey: .spent)
            try c.encode(budget, forKey: .budget)
        case .checkpointWritten(let path):
            var c = fields(.checkpointWritten)
            try c.encode(path, forKey: .path)
        case .warning(let message):
            var c = fields(.warning)
            try c.encode(message, forKey: .message)
        case .runFinished(let outcome):
            var c = fields(.runFinished)
            try c.encode(outcome, forKey: .outcome)
        }
    }
}

/// A command as JSON: `{"name":"setSampleNoise","value":1.1}`, `{"name":"dropHospital","hospital":"h1"}`,
/// `{"name":"setMalicious","hospital":"h1","malicious":true}`, `{"name":"pause"}`.
extension EngineCommand {
    private enum Field: String, CodingKey { case name, value, count, hospital, malicious }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Field.self)
        let name = try c.decode(String.self, forKey: .name)
        switch name {
        case "pause": self = .pause
        case "resume": self = .resume
        case "step": self = .step
        case "stop": self = .stop
        case "setSampleNoise": self = .setSampleNoise(try c.decode(SampleNoiseMultiplier.self, forKey: .value))
        case "setClientNoise": self = .setClientNoise(try c.decode(ClientNoiseMultiplier.self, forKey: .value))
        case "setSampleClip": self = .setSampleClip(try c.decode(ClipNorm.self, forKey: .value))
        case "setClientClip": self = .setClientClip(try c.decode(ClipNorm.self, forKey: .value))
        // Journals of earlier versions had one command for σ and z, and one for C and S: read as sample-level
        // (a replay only shows them).
        case "setNoiseMultiplier": self = .setSampleNoise(try c.decode(SampleNoiseMultiplier.self, forKey: .value))
        case "setClipNorm": self = .setSampleClip(try c.decode(ClipNorm.self, forKey: .value))
        case "setLearningRate": self = .setLearningRate(try c.decode(Double.self, forKey: .value))
        case "setHospitalsPerRound": self = .setHospitalsPerRound(try c.decode(Int.self, forKey: .count))
        case "dropHospital": self = .dropHospital(try c.decode(String.self, forKey: .hospital))
        case "restoreHospital": self = .restoreHospital(try c.decode(String.self, forKey: .hospital))
        case "setMalicious":
            self = .setMalicious(try c.decode(String.self, forKey: .hospital), try c.decode(Bool.self, forKey: .malicious))
        default:
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "unknown command '\(name)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        switch self {
        case .pause: try c.encode("pause", forKey: .name)
        case .resume: try c.encode("resume", forKey: .name)
        case .step: try c.encode("step", forKey: .name)
        case .stop: try c.encode("stop", forKey: .name)
        case .setSampleNoise(let v):
            try c.encode("setSampleNoise", forKey: .name)
            try c.encode(v, forKey: .value)
        case .setClientNoise(let v):
            try c.encode("setClientNoise", forKey: .name)
            try c.encode(v, forKey: .value)
        case .setSampleClip(let v):
            try c.encode("setSampleClip", forKey: .name)
            try c.encode(v, forKey: .value)
        case .setClientClip(let v):
            try c.encode("setClientClip", forKey: .name)
            try c.encode(v, forKey: .value)
        case .setLearningRate(let v):
            try c.encode("setLearningRate", forKey: .name)
            try c.encode(v, forKey: .value)
        case .setHospitalsPerRound(let k):
            try c.encode("setHospitalsPerRound", forKey: .name)
            try c.encode(k, forKey: .count)
        case .dropHospital(let h):
            try c.encode("dropHospital", forKey: .name)
            try c.encode(h, forKey: .hospital)
        case .restoreHospital(let h):
            try c.encode("restoreHospital", forKey: .name)
            try c.encode(h, forKey: .hospital)
        case let .setMalicious(h, on):
            try c.encode("setMalicious", forKey: .name)
            try c.encode(h, forKey: .hospital)
            try c.encode(on, forKey: .malicious)
        }
    }
}

/// A phase as JSON: `{"name":"training","reported":3,"selected":5}` or `{"name":"paused"}`.
extension RoundPhase {
    private enum Field: String, CodingKey { case name, reported, selected }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Field.self)
        let name = try c.decode(String.self, forKey: .name)
        switch name {
        case "idle": self = .idle
        case "selecting": self = .selecting
        case "broadcasting": self = .broadcasting
        case "training":
            self = .training(reported: try c.decode(Int.self, forKey: .reported), selected: try c.decode(Int.self, forKey: .selected))
        case "collecting": self = .collecting
        case "aggregating": self = .aggregating
        case "evaluating": self = .evaluating
        case "checkpointing": self = .checkpointing
        case "paused": self = .paused
        case "budgetExhausted": self = .budgetExhausted
        case "finished": self = .finished
        case "failed": self = .failed
        default: throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "unknown phase '\(name)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        let name: String
        switch self {
        case .idle: name = "idle"
        case .selecting: name = "selecting"
        case .broadcasting: name = "broadcasting"
        case let .training(reported, selected):
            name = "training"
            try c.encode(reported, forKey: .reported)
            try c.encode(selected, forKey: .selected)
        case .collecting: name = "collecting"
        case .aggregating: name = "aggregating"
        case .evaluating: name = "evaluating"
        case .checkpointing: name = "checkpointing"
        case .paused: name = "paused"
        case .budgetExhausted: name = "budgetExhausted"
        case .finished: name = "finished"
        case .failed: name = "failed"
        }
        try c.encode(name, forKey: .name)
    }
}
