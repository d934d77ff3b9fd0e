import Privacy

/// What a hospital accepts, declared by its own operator and checked by the hospital itself on every
/// training request, whatever the console asks: the promise that a hospital's records are protected by
/// the hospital's rules.
///
/// Contract:
/// - ``violation(of:spend:delta:)`` returns the first rule a round breaks, in words for the
///   hospital's log, or nil. It is called before any record is touched; a violation is refused with a
///   generic status to the peer (``HospitalError/policyRefused(hospital:rule:)``).
/// - Rules: DP-SGD required (``requiresDPSGD``, on by default: a round without sample-level DP is
///   refused); the noise multiplier σ at least ``minNoiseMultiplier``; the clip norm C at most
///   ``maxClipNorm``; the ε of one round on its own (RDP accountant of Mironov et al. 2019, at the
///   ledger's δ) at most ``maxRoundEpsilon``. The budget itself is the ledger's (``PrivacyLedger``),
///   not the policy's: the hospital refuses past it separately.
/// - The console learns the policy from Hello and refuses at attach time a run that would break it;
///   that is a courtesy, never the defence: the hospital checks again on every request.
/// - Local (in-process) hospitals obey the same code (``LocalHospital``'s trainer).
public struct HospitalPolicy: Sendable, Equatable, Codable {
    /// Refuse rounds without sample-level DP-SGD.
    public var requiresDPSGD: Bool
    /// The smallest noise multiplier σ accepted (0: any).
    public var minNoiseMultiplier: Double
    /// The largest clip norm C accepted (nil: any).
    public var maxClipNorm: Double?
    /// The largest ε one round may cost on its own (nil: any round the budget can pay for).
    public var maxRoundEpsilon: Double?

    public init(requiresDPSGD: Bool = true, minNoiseMultiplier: Double = Self.standardMinNoiseMultiplier,
                maxClipNorm: Double? = nil, maxRoundEpsilon: Double? = nil) {
        self.requiresDPSGD = requiresDPSGD
        self.minNoiseMultiplier = minNoiseMultiplier
        self.maxClipNorm = maxClipNorm
        self.maxRoundEpsilon = maxRoundEpsilon
    }

    /// `fedtop hospital`'s default noise floor. Below σ ≈ 0.5 the RDP bound of one step grows so fast
    /// that a handful of steps spends a typical budget; no sensible run asks for less.
    public static let standardMinNoiseMultiplier = 0.5

    /// What a hospital that does not care accepts: no rule (simulated federations without DP).
    public static let permissive = HospitalPolicy(requiresDPSGD: false, minNoiseMultiplier: 0)

    /// The first thing wrong with the policy itself, or nil.
    public var problem: String? {
        if !(minNoiseMultiplier >= 0) || !minNoiseMultiplier.isFinite {
            return "minimum noise multiplier \(minNoiseMultiplier) must be a number ≥ 0"
        }
        if let c = maxClipNorm, !(c > 0) || !c.isFinite { return "maximum clip norm \(c) must be a positive number" }
        if let e = maxRoundEpsilon, !(e > 0) || !e.isFinite { return "maximum ε per round \(e) must be a positive number" }
        return nil
    }

    /// The first rule that a round of `settings`, costing `spend` (nil without DP-SGD), breaks.
    /// - Parameter delta: the ledger's δ, at which a round's ε is measured.
    public func violation(of settings: RoundSettings, spend: PrivacySegment?, delta: Double?) -> String? {
        guard let p = settings.samplePrivacy else {
            return requiresDPSGD ? "DP-SGD is required by this hospital's policy; the round asks for none" : nil
        }
        if p.noiseMultiplier < minNoiseMultiplier {
            return "noise multiplier σ \(p.noiseMultiplier) is below the policy's floor \(minNoiseMultiplier)"
        }
        if let maxClipNorm, p.clipNorm > maxClipNorm {
            return "clip norm C \(p.clipNorm) is above the policy's maximum \(maxClipNorm)"
        }
        if let maxRoundEpsilon, let spend, let delta {
            let epsilon = Self.roundEpsilon(spend, delta: delta)
            if epsilon > maxRoundEpsilon {
                return "one round would cost ε \(Self.format(epsilon)) on its own, above the policy's maximum \(maxRoundEpsilon)"
            }
        }
        return nil
    }

    /// The ε of `segment` on its own at `delta` (RDP, conservative).
    public static func roundEpsilon(_ segment: PrivacySegment, delta: Double) -> Double {
        var accountant = RDPAccountant()
        accountant.compose(segment)
        return accountant.epsilon(delta: delta).epsilon
    }

    /// One line for logs and the console's detail view.
    public var summary: String {
        var parts = [requiresDPSGD ? "DP-SGD required" : "DP-SGD optional"]
        if minNoiseMultiplier > 0 { parts.append("σ ≥ \(Self.format(minNoiseMultiplier))") }
        if let maxClipNorm { parts.append("C ≤ \(Self.format(maxClipNorm))") }
        if let maxRoundEpsilon { parts.append("ε/round ≤ \(Self.format(maxRoundEpsilon))") }
        return parts.joined(separator: ", ")
    }

    private static func format(_ x: Double) -> String {
        let rounded = (x * 1000).rounded() / 1000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : "\(rounded)"
    }
}
