import Privacy

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
    /// Sample-level DP-SGD's σ; starts a new accountant segment in every hospital's ledger.
    case setSampleNoise(SampleNoiseMultiplier)
    /// Client-level DP-FedAvg's z; starts a new segment in the federation's ledger.
    case setClientNoise(ClientNoiseMultiplier)
    /// Sample-level DP-SGD's per-sample clip norm C.
    case setSampleClip(ClipNorm)
    /// Client-level DP-FedAvg's update clip norm S.
    case setClientClip(ClipNorm)
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
        case .setSampleNoise(let s): "set sample-level noise multiplier σ \(s.value)"
        case .setClientNoise(let z): "set client-level noise multiplier z \(z.value)"
        case .setSampleClip(let c): "set sample-level clip norm C \(c.value)"
        case .setClientClip(let s): "set client-level clip norm S \(s.value)"
        case .setLearningRate(let r): "set learning rate \(r)"
        case .setHospitalsPerRound(let k): "set hospitals per round \(k)"
        case .dropHospital(let h): "drop hospital \(h)"
        case .restoreHospital(let h): "restore hospital \(h)"
        case let .setMalicious(h, on): "set hospital \(h) \(on ? "malicious" : "honest")"
        }
    }
}
