/// k-anonymity of a table's quasi-identifiers (Samarati & Sweeney 1998; Sweeney 2002): records that
/// share every quasi-identifier value form an equivalence class; the table is k-anonymous when every
/// class has at least k records.
///
/// Contract: `columns` are the quasi-identifier columns, each with one value per record (all the same
/// length). ``smallestClass`` is the size of the smallest class (0 for no records; the record count
/// when there are no columns); ``recordsAtRisk`` counts the records in classes smaller than `k`;
/// a table with no columns is one class of all its records (`records` gives their number);
/// ``drivers`` says, for each column, how many records would still be at risk without it — the
/// columns whose removal helps most drive the risk.
public struct KAnonymityReport: Sendable, Equatable {
    public var k: Int
    public var records: Int
    public var classes: Int
    public var smallestClass: Int
    public var recordsAtRisk: Int
    /// Per column (in the order given): its name and the records at risk were it left out.
    public var drivers: [(column: String, atRiskWithout: Int)]

    public var holds: Bool { recordsAtRisk == 0 }

    public static func == (a: Self, b: Self) -> Bool {
        a.k == b.k && a.records == b.records && a.classes == b.classes && a.smallestClass == b.smallestClass
            && a.recordsAtRisk == b.recordsAtRisk && a.drivers.map(\.column) == b.drivers.map(\.column)
            && a.drivers.map(\.atRiskWithout) == b.drivers.map(\.atRiskWithout)
    }
}

public enum KAnonymity {
    /// The size of each record's equivalence class under `columns`.
    public static func classSizes(_ columns: [[String]]) -> [Int] {
        let n = columns.first?.count ?? 0
        precondition(columns.allSatisfy { $0.count == n }, "KAnonymity: columns of different lengths")
        var ids: [[String]: Int] = [:]
        var classOf = [Int](repeating: 0, count: n)
        var sizes: [Int] = []
        for r in 0..<n {
            let key = columns.map { $0[r] }
            if let id = ids[key] {
                classOf[r] = id
                sizes[id] += 1
            } else {
                ids[key] = sizes.count
                classOf[r] = sizes.count
                sizes.append(1)
            }
        }
        return classOf.map { sizes[$0] }
    }

    /// - Parameter records: the table's record count (needed when there are no columns; otherwise the columns' length).
    public static func report(columns: [[String]], names: [String], k: Int, records: Int? = nil) -> KAnonymityReport {
        precondition(names.count == columns.count, "KAnonymity: \(names.count) names for \(columns.count) columns")
        let n = columns.first?.count ?? records ?? 0
        precondition(records == nil || records == n, "KAnonymity: \(records!) records but columns of \(n)")
        let sizes = columns.isEmpty ? [Int](repeating: n, count: n) : classSizes(columns)
        let classes = columns.isEmpty ? (n > 0 ? 1 : 0) : Set((0..<n).map { r in columns.map { $0[r] } }).count
        var drivers: [(String, Int)] = []
        for (i, name) in names.enumerated() {
            var rest = columns
            rest.remove(at: i)
            drivers.append((name, rest.isEmpty ? (n < k ? n : 0) : classSizes(rest).filter { $0 < k }.count))
        }
        return KAnonymityReport(k: k, records: n, classes: classes,
                                smallestClass: sizes.min() ?? 0,
                                recordsAtRisk: sizes.filter { $0 < k }.count, drivers: drivers)
    }
}
