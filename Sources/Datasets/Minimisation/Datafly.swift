/// Generalising quasi-identifiers until a table is k-anonymous: Sweeney's Datafly (2002, "Achieving
/// k-anonymity privacy protection using generalization and suppression"), full-domain: at each step the
/// quasi-identifier with the most distinct values goes up one level of its ``Generalisation``
/// hierarchy, until every equivalence class has at least k records.
///
/// Contract: the result is k-anonymous whenever the table has at least k records (at the top level
/// every value is `*`, one class of all records); with fewer, ``GeneralisationResult/holds`` is false.
/// Information lost is reported per column (its level out of its levels, distinct values before and
/// after) and as Sweeney's precision, 1 − mean(level / levels).
public struct GeneralisationResult: Sendable {
    public var names: [String]
    public var columns: [[String]]
    public var levels: [Int]
    public var maxLevels: [Int]
    public var distinctBefore: [Int]
    public var distinctAfter: [Int]
    public var report: KAnonymityReport

    public var holds: Bool { report.holds }
    /// Sweeney's precision: 1 with nothing generalised, 0 with everything suppressed.
    public var precision: Double {
        guard !levels.isEmpty else { return 1 }
        return 1 - zip(levels, maxLevels).reduce(0.0) { $0 + Double($1.0) / Double($1.1) } / Double(levels.count)
    }
}

public enum Datafly {
    public static func generalise(columns: [[String]], names: [String], hierarchies: [Generalisation], k: Int,
                                  records: Int? = nil) -> GeneralisationResult {
        precondition(columns.count == names.count && columns.count == hierarchies.count, "Datafly: one name and hierarchy per column")
        let maxLevels = zip(hierarchies, columns).map { $0.levels(for: $1) }
        var levels = [Int](repeating: 0, count: columns.count)
        var current = columns
        func distinct(_ c: [String]) -> Int { Set(c).count }
        while true {
            let report = KAnonymity.report(columns: current, names: names, k: k, records: records)
            if report.holds || zip(levels, maxLevels).allSatisfy({ $0 >= $1 }) {
                return GeneralisationResult(names: names, columns: current, levels: levels, maxLevels: maxLevels,
                                            distinctBefore: columns.map(distinct), distinctAfter: current.map(distinct), report: report)
            }
            // The column with the most distinct values that can still go up.
            let candidates = current.indices.filter { levels[$0] < maxLevels[$0] }
            let i = candidates.max { distinct(current[$0]) < distinct(current[$1]) }!
            levels[i] += 1
            current[i] = columns[i].map { hierarchies[i].apply($0, level: levels[i], levels: maxLevels[i]) }
        }
    }
}
