/// How a simulated local hospital misbehaves, for demos and tests: slower hardware, a slow network,
/// random failures and outages. All draws are seeded, so a run with `--seed` repeats.
public struct SimulationKnobs: Sendable, Equatable, Codable {
    /// Relative compute speed: 1 normal, 0.5 twice as slow (the hospital idles, off the shared cores,
    /// for the extra time).
    public var speed: Double = 1
    /// Seconds between writing the spend and delivering the update (a slow link or a straggler).
    public var stragglerDelay: Double = 0
    /// Probability that a round's training fails.
    public var failureProbability: Double = 0
    /// Rounds during which the hospital is offline (it comes back after them).
    public var offlineRounds: ClosedRange<Int>?

    public init(speed: Double = 1, stragglerDelay: Double = 0, failureProbability: Double = 0,
                offlineRounds: ClosedRange<Int>? = nil) {
        self.speed = speed
        self.stragglerDelay = stragglerDelay
        self.failureProbability = failureProbability
        self.offlineRounds = offlineRounds
    }

    /// The first thing wrong with these knobs, or nil.
    public var problem: String? {
        if !(speed > 0 && speed <= 1000) { return "speed \(speed) outside (0, 1000]" }
        if !(stragglerDelay >= 0 && stragglerDelay.isFinite) { return "straggler delay \(stragglerDelay) must be ≥ 0 seconds" }
        if !(failureProbability >= 0 && failureProbability <= 1) { return "failure probability \(failureProbability) outside [0, 1]" }
        return nil
    }
}
