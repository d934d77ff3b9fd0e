/// A run of `count` answers of a mechanism that is ε-differentially private on its own (pure DP,
/// δ = 0): the served model's private predictions (report-noisy-max, the exponential mechanism).
///
/// Contract: ε > 0 and finite, count ≥ 0. In Rényi DP each answer costs min(ε, α·ε²/2) at order α:
/// ε-DP implies (α, ε)-RDP, and ε-DP implies (ε²/2)-zCDP (Bun & Steinke 2016, "Concentrated
/// Differential Privacy: Simplifications, Extensions, and Lower Bounds", Prop. 3.3), that is
/// (α, α·ε²/2)-RDP at every order. ``RDPAccountant`` composes these; a history of pure-DP answers
/// alone is also bounded by basic composition (the sum of the ε's), and the accountant reports the
/// smaller of the two.
public struct PureDPSegment: Sendable, Equatable, CustomStringConvertible {
    /// ε of one answer.
    public var epsilon: Double
    /// How many answers.
    public var count: Int

    public init(epsilon: Double, count: Int) throws(PrivacyError) {
        guard epsilon > 0, epsilon.isFinite else {
            throw .invalidSetting(name: "ε per answer", value: epsilon, expected: "0 < ε < ∞")
        }
        guard count >= 0 else { throw .invalidSetting(name: "answers", value: Double(count), expected: "count ≥ 0") }
        self.epsilon = epsilon
        self.count = count
    }

    /// The RDP of one answer at order `alpha`.
    public func rdp(order alpha: Double) -> Double { min(epsilon, alpha * epsilon * epsilon / 2) }

    public var description: String { "\(count) × ε \(epsilon)" }
}
