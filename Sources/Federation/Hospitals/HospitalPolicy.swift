import Privacy

/// What a hospital accepts, declared by its own operator and checked by the hospital itself on every
/// training request, whatever the console asks: the promise that a hospital's records are protected by
/// the hospital's rules.
///
/// Contract:
/// - ``violation(of:spend:delta:)`` returns the first rule a round breaks, in words for the
///   hospital's log, or nil. It is called before any record is touched; a violation is refused with a
///   generic status to the peer (``HospitalError/policyRefused(hospital:rule:)``).
/// - ``evaluationViolation(testRecords:credit:)`` does the same for an evaluation request: the
///   metrics of a test split smaller than ``minEvaluationRecords`` come close to single records'
///   labels, and an unlimited number of evaluations of models of the console's choosing is an
///   oracle on the test split, so each trained round (which the ledger pays for) allows
///   ``evaluationsPerRound`` of them.
/// - Rules: DP-SGD required (``requiresDPSGD``, on by default: a round without sample-level DP is
///   refused); the noise multiplier σ at least ``minNoiseMultiplier``; the clip norm C at most
///   ``maxClipNorm``; the ε of one round on its own (RDP accountant of Mironov et al. 2019, at the
///   ledger's δ) at most ``maxRoundEpsilon``. The budget itself is the ledger's (``PrivacyLedger``),
///   not the policy's: the hospital refuses past it separately.
/// - The console learns the policy from Hello and refuses at attach time a run that would break it;
///   that is a courtesy, never the defence: the hospital checks again on every request.
/// - Local (in-process) hospitals obey the same code (``HospitalTrainer``, which ``LocalHospital`` wraps).
public struct HospitalPolicy: Sendable, Equatable, Codable {
    /// Refuse rounds without sample-level DP-SGD.
    public var requiresDPSGD: Bool
    /// The smallest noise multiplier σ accepted (0: any).
    public var minNoiseMultiplier: Double
    /// The largest clip norm C accepted (nil: any).
    public var maxClipNorm: Double?
    /// The largest ε one round may cost on its own (nil: any round the budget can pay for).
    public var maxRoundEpsilon: Double?
    /// Evaluations answered per trained round (and before the first): nil, any number.
    public var evaluationsPerRound: Int?
    /// The smallest test split the hospital reports metrics on (0: any).
    public var minEvaluationRecords: Int

    public init(requiresDPSGD: Bool = true, minNoiseMultiplier: Double = Self.standardMinNoiseMultiplier,
                maxClipNorm: Double? = nil, maxRoundEpsilon: Double? = nil,
                evaluationsPerRound: Int? = Self.standardEvaluationsPerRound,
                minEvaluationRecords: Int = Self.standardMinEvaluationRecords) {
        self.requiresDPSGD = requiresDPSGD
        self.minNoiseMultiplier = minNoiseMultiplier
        self.maxClipNorm = maxClipNorm
        self.maxRoundEpsilon = maxRoundEpsilon
        self.evaluationsPerRound = evaluationsPerRound
        self.minEvaluationRecords = minEvaluationRecords
    }

    private enum CodingKeys: String, CodingKey {
        case requiresDPSGD, minNoiseMultiplier, maxClipNorm, maxRoundEpsilon, evaluationsPerRound, minEvaluationRecords
    }

    /// Decodes a policy; one written before the evaluation rules existed had none (any evaluation).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requiresDPSGD = try c.decode(Bool.self, forKey: .requiresDPSGD)
        minNoiseMultiplier = try c.decode(Double.self, forKey: .minNoiseMultiplier)
        maxClipNorm = try c.decodeIfPresent(Double.self, forKey: .maxClipNorm)
        maxRoundEpsilon = try c.decodeIfPresent(Double.self, forKey: .maxRoundEpsilon)
        evaluationsPerRound = try c.decodeIfPresent(Int.self, forKey: .evaluationsPerRound)
        minEvaluationRecords = try c.decodeIfPresent(Int.self, forKey: .minEvaluationRecords) ?? 0
    }

    /// `fedtop hospital`'s default noise floor. Below σ ≈ 0.5 the RDP bound of one step grows so fast
    /// that a handful of steps spends a typical budget; no sensible run asks for less.
    public static let standardMinNoiseMultiplier = 0.5

    /// `fedtop hospital`'s default evaluations per trained round: the console evaluates each round's
    /// model once, with one to spare.
    public static let standardEvaluationsPerRound = 2

    /// `fedtop hospital`'s default smallest test split to report metrics on.
    public static let standardMinEvaluationRecords = 10

    /// What a hospital that does not care accepts: no rule (simulated federations without DP).
    public static let permissive = HospitalPolicy(requiresDPSGD: false, minNoiseMultiplier: 0, evaluationsPerRound: nil,
                                                  minEvaluationRecords: 0)

    /// A simulated hospital's policy in a federation of this process: DP-SGD required when the run uses
    /// it, no noise floor (the operator tunes σ live), any evaluation (shards of a thousand-hospital
    /// simulation hold a handful of test records).
    public static func simulated(requiresDPSGD: Bool) -> HospitalPolicy {
        HospitalPolicy(requiresDPSGD: requiresDPSGD, minNoiseMultiplier: 0, evaluationsPerRound: nil, minEvaluationRecords: 0)
    }

    /// The first thing wrong with the policy itself, or nil.
    public var problem: String? {
        if !(minNoiseMultiplier >= 0) || !minNoiseMultiplier.isFinite {
            return "minimum noise multiplier \(minNoiseMultiplier) must be a number ≥ 0"
        }
        if let c = maxClipNorm, !(c > 0) || !c.isFinite { return "maximum clip norm \(c) must be a positive number" }
        if let e = maxRoundEpsilon, !(e > 0) || !e.isFinite { return "maximum ε per round \(e) must be a positive number" }
        if let n = evaluationsPerRound, n < 0 { return "evaluations per round \(n) must be ≥ 0" }
        if minEvaluationRecords < 0 { return "minimum evaluation records \(minEvaluationRecords) must be ≥ 0" }
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

    /// The first rule an evaluation breaks, for a hospital with `testRecords` test records that may
    /// still answer `credit` evaluations before its next trained round.
    public func evaluationViolation(testRecords: Int, credit: Int) -> String? {
        if testRecords < minEvaluationRecords {
            return "the test split holds \(testRecords) records, fewer than the policy's minimum \(minEvaluationRecords) for reporting metrics"
        }
        if let evaluationsPerRound, credit <= 0 {
            return evaluationsPerRound == 0
                ? "the policy answers no evaluation"
                : "the policy answers \(evaluationsPerRound) evaluation(s) per trained round, all used since the last round"
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
        if let evaluationsPerRound { parts.append("\(evaluationsPerRound) evaluation(s)/round") }
        if minEvaluationRecords > 0 { parts.append("metrics on ≥ \(minEvaluationRecords) records") }
        return parts.joined(separator: ", ")
    }

    private static func format(_ x: Double) -> String {
        let rounded = (x * 1000).rounded() / 1000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : "\(rounded)"
    }
}

extension HospitalPolicy {
    /// The policy `hospital` announced and the rule of it that a round of `settings` breaks, or nil
    /// when it announced none or the round keeps to it: the console's courtesy check (at attach, and
    /// when the operator changes σ or C live), never the defence, which is the hospital's own check.
    public static func refusal(by hospital: any Hospital, of settings: RoundSettings) -> (policy: HospitalPolicy, rule: String)? {
        guard let summary = try? hospital.summary(), let policy = summary.policy else { return nil }
        var spend: PrivacySegment?
        if let p = settings.samplePrivacy, let accounting = hospital as? any SampleLevelAccounting {
            let (q, steps) = accounting.roundSampling(batchSize: settings.batchSize, localEpochs: settings.localEpochs)
            spend = try? PrivacySegment(sampleRate: q, noiseMultiplier: p.noiseMultiplier, steps: steps)
        }
        return policy.violation(of: settings, spend: spend, delta: summary.delta).map { (policy, $0) }
    }
}
