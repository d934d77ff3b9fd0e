/// What an operator (or a script) asks of the engine. Commands are queued and applied at the next
/// safe point — between rounds, or at once while paused — and each is answered by a
/// ``EngineEvent/Kind/commandApplied(_:effect:)`` or ``EngineEvent/Kind/commandRefused(_:reason:)``
/// event, so a screen shows what really took effect and when.
public enum EngineCommand: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Finish the current round, then hold.
    case pause
    case resume
    /// Run exactly one round while paused, then hold again.
    case step
    /// Finish the current round, then end the run.
    case stop
    /// Sample-level σ (and the client-level z under `--dp client`); starts a new accountant segment.
    case setNoiseMultiplier(Double)
    /// Sample-level C (client-level S under `--dp client`).
    case setClipNorm(Double)
    case setLearningRate(Double)
    /// Hospitals per round (count selection only; under client-level DP the rate is q).
    case setHospitalsPerRound(Int)
    case dropHospital(String)
    case restoreHospital(String)
    /// Make a hospital flip its labels (the audit and the demo).
    case setMalicious(String, Bool)

    public var description: String {
        switch self {
        case .pause: "pause"
        case .resume: "resume"
        case .step: "step"
        case .stop: "stop"
        case .setNoiseMultiplier(let s): "set noise multiplier \(s)"
        case .setClipNorm(let c): "set clip norm \(c)"
        case .setLearningRate(let r): "set learning rate \(r)"
        case .setHospitalsPerRound(let k): "set hospitals per round \(k)"
        case .dropHospital(let h): "drop hospital \(h)"
        case .restoreHospital(let h): "restore hospital \(h)"
        case let .setMalicious(h, on): "set hospital \(h) \(on ? "malicious" : "honest")"
        }
    }
}
