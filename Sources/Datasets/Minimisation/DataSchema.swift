/// What each column of a patient table is, for data minimisation: which columns may be read at all,
/// which may be model inputs, and how quasi-identifiers are generalised for k-anonymity (Sweeney 2002).
///
/// The file has one column a line, `COLUMN ROLE [GENERALISATION]`, `#` starting a comment:
/// - `identifier`: names the patient (an id, a name). Never decoded: the loader skips its cells.
/// - `quasi`: identifies in combination (age, sex, ZIP, admission date). Checked for k-anonymity;
///   not a model input unless the loader is told to allow it.
/// - `sensitive`: what must not be learned about a person (a diagnosis). Never a model input, not loaded.
/// - `feature`: a numeric model input.
/// - `label`: the class (exactly one).
/// Generalisations, for quasi-identifiers only: `bins:WIDTH` (numbers into intervals WIDTH wide, then
/// twice as wide at each level, then `*`), `prefix` (text loses its last character at each level, then
/// `*`), `suppress` (`*` at once, the default).
///
/// Contract: ``init(parsing:file:)`` accepts only a schema with unique column names, known roles, one
/// label, at least one feature, and generalisations on quasi-identifiers only; each error names the file
/// and line.
public struct DataSchema: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable, CaseIterable {
        case identifier, quasi, sensitive, feature, label
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var role: Role
        public var generalisation: Generalisation
    }

    public private(set) var columns: [Column]

    public init(columns: [Column]) throws {
        self.columns = columns
        try check(file: "<schema>")
    }

    /// The schema in `text` (the file's contents); `file` names it in errors.
    public init(parsing text: String, file: String) throws {
        columns = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard !words.isEmpty else { continue }
            let at = SourceLocation(file: file, line: n + 1)
            guard words.count <= 3, words.count >= 2 else {
                throw DatasetError.malformed(at, expected: "COLUMN ROLE [GENERALISATION]", found: String(line))
            }
            guard let role = Role(rawValue: words[1]) else {
                throw DatasetError.malformed(at, expected: "a role: " + Role.allCases.map(\.rawValue).joined(separator: ", "), found: words[1])
            }
            var generalisation = Generalisation.suppress
            if words.count == 3 {
                guard role == .quasi else {
                    throw DatasetError.malformed(at, expected: "a generalisation only on a quasi-identifier", found: "\(words[0]) \(words[1]) \(words[2])")
                }
                guard let g = Generalisation(parsing: words[2]) else {
                    throw DatasetError.malformed(at, expected: "bins:WIDTH (WIDTH > 0), prefix or suppress", found: words[2])
                }
                generalisation = g
            }
            guard !columns.contains(where: { $0.name == words[0] }) else {
                throw DatasetError.malformed(at, expected: "each column once", found: "'\(words[0])' again")
            }
            columns.append(Column(name: words[0], role: role, generalisation: generalisation))
        }
        try check(file: file)
    }

    private func check(file: String) throws {
        let labels = columns.filter { $0.role == .label }
        guard labels.count == 1 else {
            throw DatasetError.invalidOption(name: "schema \(file)", expected: "exactly one label column", found: "\(labels.count)")
        }
        guard columns.contains(where: { $0.role == .feature }) else {
            throw DatasetError.invalidOption(name: "schema \(file)", expected: "at least one feature column", found: "none")
        }
    }

    public func role(of column: String) -> Role? { columns.first { $0.name == column }?.role }
    public func names(_ role: Role) -> [String] { columns.filter { $0.role == role }.map(\.name) }
    public var quasiIdentifiers: [Column] { columns.filter { $0.role == .quasi } }
}

/// How one quasi-identifier is coarsened, level by level (level 0: the value as it is; the last level: `*`).
public enum Generalisation: Sendable, Equatable {
    /// Numbers into intervals `width` wide at level 1, doubling at each level, `*` at the last.
    case bins(width: Double)
    /// Text loses its last character at each level; `*` when nothing is left.
    case prefix
    /// `*` at level 1.
    case suppress

    init?(parsing text: String) {
        switch text {
        case "prefix": self = .prefix
        case "suppress": self = .suppress
        default:
            guard text.hasPrefix("bins:"), let w = Double(text.dropFirst(5)), w.isFinite, w > 0 else { return nil }
            self = .bins(width: w)
        }
    }

    /// The number of levels above 0 for a column whose values are `values` (the last is `*`).
    public func levels(for values: [String]) -> Int {
        switch self {
        case .suppress: return 1
        case .prefix: return max(1, values.map(\.count).max() ?? 0)
        case .bins(let width):
            let numbers = values.compactMap(Double.init)
            guard let low = numbers.min(), let high = numbers.max() else { return 1 }
            // Doubling until one interval covers the range, then `*`.
            var w = width, levels = 1
            while (high / w).rounded(.down) != (low / w).rounded(.down) && levels < 60 { w *= 2; levels += 1 }
            return levels + 1
        }
    }

    /// `value` at `level` of a column with `levels` levels.
    public func apply(_ value: String, level: Int, levels: Int) -> String {
        guard level > 0 else { return value }
        guard level < levels else { return "*" }
        switch self {
        case .suppress: return "*"
        case .prefix:
            let kept = value.count - level
            return kept > 0 ? String(value.prefix(kept)) + String(repeating: "*", count: level) : "*"
        case .bins(let width):
            guard let x = Double(value) else { return "*" }
            let w = width * Double(1 << (level - 1))
            // The interval index; a quotient a hair below a whole number is that number (0.6 / 0.1 =
            // 5.999…: 0.6 belongs to [0.6, 0.7), as a person reads the edges).
            let q = x / w
            var index = q.rounded(.down)
            if q - index > 1 - 1e-9 { index += 1 }
            return "[\(Self.format(index * w)), \(Self.format((index + 1) * w)))"
        }
    }

    /// An edge as a person writes it: whole numbers without a point, others to 12 significant digits
    /// (so 3 × 0.1 shows as 0.3, not 0.30000000000000004).
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.12g", x)
    }
}

/// The synthetic patient table fedtop ships to show data minimisation: 600 patients with identifiers
/// (an id, a name), realistic quasi-identifiers (age, sex, ZIP, admission date), vital signs and lab
/// values as features, a diagnosis marked sensitive, and 30-day readmission as the label. Synthetic:
/// no real person is in it.
public enum ExamplePatients {
    /// The table and its schema, as the files `patients.csv` and `patients.schema`.
    public static func files() throws -> (csv: [UInt8], schema: [UInt8]) {
        (try BuiltinDataset.resource("patients.csv"), try BuiltinDataset.resource("patients.schema"))
    }
}
