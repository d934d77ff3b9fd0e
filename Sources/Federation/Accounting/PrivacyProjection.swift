/// What the privacy panel asks before a change: the ε a run will end with at given settings.
///
/// The console holds no accountant; ``LedgerProjection`` implements this from the hospitals' ledgers
/// and the federation's (the RDP accountant), and a replay reads the answers its journal recorded.
/// Contract: answers err on the private side — a projection may over-state ε, never under-state it
/// (every remaining round is assumed to select every hospital).
public protocol PrivacyProjection: Sendable {
    /// The forecast if every round after `completedRound` up to `plannedRounds` runs with
    /// noise multiplier σ (client-level z under `--dp client`) and clip norm C; nil without DP.
    func forecast(noiseMultiplier: Double, clipNorm: Double, completedRound: Int, plannedRounds: Int) -> PrivacyForecast?
}

/// A privacy projection's answer.
public struct PrivacyForecast: Sendable, Codable, Equatable {
    /// The highest ε any party (a hospital, or the federation) will have spent after the planned rounds.
    public var finalEpsilon: Double
    /// The budget that ε is measured against.
    public var budget: Double
    /// Rounds that still fit within every budget at these settings (capped at the rounds planned).
    public var roundsLeft: Int
    /// The party whose budget runs out first (e.g. `hospital-2`, `federation`).
    public var limitingParty: String?

    public init(finalEpsilon: Double, budget: Double, roundsLeft: Int, limitingParty: String?) {
        self.finalEpsilon = finalEpsilon
        self.budget = budget
        self.roundsLeft = roundsLeft
        self.limitingParty = limitingParty
    }

    /// Whether the planned rounds end within the budget.
    public var fits: Bool { finalEpsilon <= budget }
}
