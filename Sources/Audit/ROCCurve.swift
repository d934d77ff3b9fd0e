import Federation

/// The ROC curve of a membership-inference attack: scores of members (positives) against scores of
/// non-members (negatives), a higher score meaning "more likely a member".
///
/// Contract: both sets non-empty, every score finite (NaN is refused at construction). The AUC counts
/// ties as one half (Mann–Whitney). ``truePositiveRate(atFalsePositiveRate:)`` is the highest TPR of
/// any threshold whose FPR does not exceed the target — the low-FPR regime that Carlini et al. 2022
/// ("Membership inference attacks from first principles") insist on reporting, since an attack that
/// is right on average can still be useless (or devastating) on the few records it is sure about.
/// With m non-members the smallest non-zero FPR is 1/m: a target below it is met only by thresholds
/// above every non-member (FPR 0).
public struct ROCCurve: Sendable, Equatable {
    /// The curve's corners, from (0, 0) to (1, 1), one per distinct score (ties move both rates at once).
    public let points: [ChartPoint]
    public let auc: Double
    public let members: Int
    public let nonMembers: Int

    public init(memberScores: [Double], nonMemberScores: [Double]) throws(AuditError) {
        guard !memberScores.isEmpty, !nonMemberScores.isEmpty else {
            throw .invalidInput("a ROC curve needs members and non-members (got \(memberScores.count) and \(nonMemberScores.count))")
        }
        guard (memberScores + nonMemberScores).allSatisfy({ !$0.isNaN }) else {
            throw .invalidInput("attack scores contain NaN")
        }
        members = memberScores.count
        nonMembers = nonMemberScores.count
        let labelled = (memberScores.map { ($0, true) } + nonMemberScores.map { ($0, false) }).sorted { $0.0 > $1.0 }
        var tp = 0, fp = 0
        // Twice the Mann–Whitney U, in whole numbers: each non-member counts the members scored above
        // it, and half of those tied with it (the trapezoids under the curve, a tie group being a
        // diagonal step). The same value as ModelEvaluation.areaUnderROC, from this one sort instead
        // of a second (the live audit draws a curve every round).
        var doubledU = 0
        var points = [ChartPoint(x: 0, y: 0)]
        var i = 0
        while i < labelled.count {
            var j = i
            let tpBefore = tp, fpBefore = fp
            while j < labelled.count, labelled[j].0 == labelled[i].0 {
                if labelled[j].1 { tp += 1 } else { fp += 1 }
                j += 1
            }
            doubledU += (fp - fpBefore) * (tpBefore + tp)
            points.append(ChartPoint(x: Double(fp) / Double(nonMemberScores.count), y: Double(tp) / Double(memberScores.count)))
            i = j
        }
        self.points = points
        auc = Double(doubledU) / (2 * Double(members) * Double(nonMembers))
    }

    /// The highest true-positive rate at a false-positive rate ≤ `fpr`.
    public func truePositiveRate(atFalsePositiveRate fpr: Double) -> Double {
        points.filter { $0.x <= fpr + 1e-12 }.map(\.y).max() ?? 0
    }

    /// The attack's balanced accuracy at its best threshold: max over thresholds of (TPR + 1 − FPR) / 2.
    public var bestAccuracy: Double {
        points.map { ($0.y + 1 - $0.x) / 2 }.max() ?? 0.5
    }

    /// At most `count` points for drawing, always keeping the first, the last and the low-FPR corner
    /// (every point with FPR ≤ 1%), so a log-axis plot keeps its detail where it matters.
    public func thinned(to count: Int = 400) -> [ChartPoint] {
        guard points.count > count else { return points }
        let low = points.filter { $0.x <= 0.01 }
        let rest = points.filter { $0.x > 0.01 }
        let step = max(1, rest.count / max(1, count - low.count))
        var kept = low
        for (k, p) in rest.enumerated() where k % step == 0 || k == rest.count - 1 { kept.append(p) }
        return kept
    }
}
