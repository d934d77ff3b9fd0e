import Datasets
import TensorCore

/// The records a membership-inference attack is asked about: members (trained on) and non-members
/// (never trained on), balanced, disjoint and from the same distribution.
///
/// Contract: equal counts (≥ 1 each), the same feature shape and classes. Disjointness and the
/// shared distribution are the caller's construction (members from the hospitals' training splits,
/// non-members from held-out records of the same data); ``balanced(members:nonMembers:limit:seed:)``
/// only draws equal-sized random subsets. Balanced sets make AUC = 0.5 the "no information" line.
public struct MembershipTargets: Sendable {
    public let members: Dataset
    public let nonMembers: Dataset

    public init(members: Dataset, nonMembers: Dataset) throws(AuditError) {
        guard members.count > 0, members.count == nonMembers.count else {
            throw .invalidInput("members and non-members must be balanced and non-empty (got \(members.count) and \(nonMembers.count))")
        }
        guard members.featureShape == nonMembers.featureShape, members.classNames.count == nonMembers.classNames.count else {
            throw .invalidInput("members \(members.featureShape) and non-members \(nonMembers.featureShape) differ in shape or classes")
        }
        self.members = members
        self.nonMembers = nonMembers
    }

    /// Equal-sized random subsets: min(|members|, |non-members|, limit) of each.
    public static func balanced(members: Dataset, nonMembers: Dataset, limit: Int = .max, seed: UInt64) throws(AuditError) -> MembershipTargets {
        try balanced(members: [members], nonMembers: [nonMembers], limit: limit, seed: seed)
    }

    /// The same draw from the concatenation of `members` and of `nonMembers` (many hospitals' records),
    /// without building it: only the records drawn are copied, so a thousand hospitals' training sets
    /// are not duplicated to pick 300 of them.
    public static func balanced(members: [Dataset], nonMembers: [Dataset], limit: Int = .max,
                                seed: UInt64) throws(AuditError) -> MembershipTargets {
        let memberCount = members.reduce(0) { $0 + $1.count }, nonMemberCount = nonMembers.reduce(0) { $0 + $1.count }
        let n = min(memberCount, nonMemberCount, limit)
        guard n > 0 else {
            throw .invalidInput("membership inference needs members and non-members (got \(memberCount) and \(nonMemberCount))")
        }
        var generator = SeededGenerator(seed: seed)
        func draw(_ parts: [Dataset], total: Int) -> Dataset {
            var indices = Array(0..<total)
            indices.shuffle(using: &generator)
            let chosen = Array(indices.prefix(n)).sorted()
            var pieces: [Dataset] = [], start = 0, k = 0
            for part in parts {
                var local: [Int] = []
                while k < chosen.count, chosen[k] < start + part.count {
                    local.append(chosen[k] - start)
                    k += 1
                }
                if !local.isEmpty { pieces.append(part.subset(local)) }
                start += part.count
            }
            return Dataset.concatenating(pieces)
        }
        return try MembershipTargets(members: draw(members, total: memberCount), nonMembers: draw(nonMembers, total: nonMemberCount))
    }

    public var count: Int { members.count }
}

/// One membership-inference attack's outcome against one model.
public struct MembershipInferenceResult: Sendable, Equatable {
    /// `loss-threshold` or `lira-offline`.
    public var attack: String
    /// Which model was attacked (`global`, `hospital-1 local`).
    public var target: String
    public var roc: ROCCurve

    public init(attack: String, target: String, roc: ROCCurve) {
        self.attack = attack
        self.target = target
        self.roc = roc
    }

    public var auc: Double { roc.auc }
    public var tprAt1Percent: Double { roc.truePositiveRate(atFalsePositiveRate: 0.01) }
    public var tprAtTenthPercent: Double { roc.truePositiveRate(atFalsePositiveRate: 0.001) }
}
