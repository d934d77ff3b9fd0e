import TensorCore

/// One option of `fedtop run`, declared once: its name, the kind of value it takes, its default,
/// how a value is checked, and the help that `--help` and `fedtop init` print.
///
/// Contract: the option table (``all``, in `RunOption+Table.swift`) is the only place an option is
/// written down. The command line (``RunOptionArguments``), the run file (``RunFile``), `run.json`
/// (``RunOptions``' `Codable`), `fedtop init`'s example (``RunFile/example(format:)``) and `--help`
/// (``RunOptionArguments/help``) are all produced from it. Adding an option is one entry in the table,
/// the code that consumes it (``RunPlan``) and a test.
///
/// Two options are the same option when their names are.
public struct RunOption: Hashable, Sendable, CustomStringConvertible {
    /// The name, as on the command line without the dashes and as a run file's key: `local-epochs`.
    public let name: String
    /// What its value is.
    public let kind: Kind
    /// The section `--help` and `fedtop init` list it under.
    public let group: Group
    /// What it does, one sentence (no default in it: see ``defaultValue`` and ``defaultNote``).
    public let help: String
    /// The value a run uses when neither the command line nor the run file sets it; `fedtop init`
    /// writes it. Nil: no fixed default (see ``defaultNote``).
    public let defaultValue: Value?
    /// For an option without a fixed default, what a run does instead ("calibrated to --epsilon").
    public let defaultNote: String?
    /// What `fedtop init` shows, commented out, for an option without a default.
    public let example: Value?
    /// What is wrong with a value of the right kind (a range, a scheme), or nil.
    let check: @Sendable (Value) -> String?

    init(_ name: String, _ kind: Kind, _ group: Group, help: String, default defaultValue: Value? = nil,
         otherwise defaultNote: String? = nil, example: Value? = nil, check: @escaping @Sendable (Value) -> String? = { _ in nil }) {
        precondition(defaultValue == nil || defaultValue!.kind == kind, "\(name): default of the wrong kind")
        precondition(example == nil || example!.kind == kind, "\(name): example of the wrong kind")
        precondition(defaultValue != nil || example != nil, "\(name): fedtop init needs a default or an example")
        self.name = name
        self.kind = kind
        self.group = group
        self.help = help
        self.defaultValue = defaultValue
        self.defaultNote = defaultNote
        self.example = example
        self.check = check
    }

    /// The option named `name` (without dashes), if the table has one.
    public init?(named name: String) {
        guard let option = Self.byName[name] else { return nil }
        self = option
    }

    /// The command-line spelling, e.g. `--local-epochs`.
    public var flag: String { "--" + name }

    /// The key `run.json` stores it under: the name in camel case (`localEpochs`), as earlier runs wrote it.
    public var jsonKey: String {
        let parts = name.split(separator: "-")
        return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
    }

    public var description: String { name }

    /// What is wrong with `value` for this option (the wrong kind, out of range), or nil.
    public func problem(with value: Value) -> String? {
        guard value.kind == kind else { return "expected \(kind.expected), got \(value)" }
        return check(value)
    }

    public static func == (a: RunOption, b: RunOption) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    private static let byName: [String: RunOption] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The closest option to a misspelt `name`: the same option spelt with `_` or in camel case, or
    /// one at most two edits away (ties go to the earlier option).
    public static func closest(to name: String) -> RunOption? {
        var normalized = "", previous: Character?
        for character in name {
            if character.isUppercase, previous?.isLowercase == true { normalized.append("-") }
            normalized.append(character == "_" ? "-" : Character(character.lowercased()))
            previous = character
        }
        if let option = RunOption(named: normalized) { return option }
        let best = all.map { ($0, editDistance(name.lowercased(), $0.name)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return nil }
        return best.0
    }
}

// MARK: - Groups, kinds and values

extension RunOption {
    /// The sections options are listed in, in order.
    public enum Group: String, CaseIterable, Sendable {
        case federation = "Federation"
        case data = "Data"
        case training = "Model and local training"
        case privacy = "Privacy"
        case secureAggregation = "Secure aggregation"
        case output = "Output"
    }

    /// The type of an option's value.
    public enum Kind: Sendable {
        /// `Int`.
        case integer
        /// `UInt64`, written as an integer ≥ 0.
        case seed
        /// `Double`; an integer is accepted too.
        case number
        case string
        /// On the command line a flag (`--headless`); in a file `true` or `false`.
        case boolean
        /// `[String]`; on the command line the option repeated.
        case strings

        /// How error messages name it: "an integer".
        public var expected: String {
            switch self {
            case .integer: "an integer"
            case .seed: "an integer ≥ 0"
            case .number: "a number"
            case .string: "a string"
            case .boolean: "true or false"
            case .strings: "a list of strings"
            }
        }
    }

    /// One option's value.
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case integer(Int)
        case seed(UInt64)
        case number(Double)
        case string(String)
        case boolean(Bool)
        case strings([String])

        public var kind: Kind {
            switch self {
            case .integer: .integer
            case .seed: .seed
            case .number: .number
            case .string: .string
            case .boolean: .boolean
            case .strings: .strings
            }
        }

        public var integer: Int? { if case .integer(let v) = self { v } else { nil } }
        public var seed: UInt64? { if case .seed(let v) = self { v } else { nil } }
        public var number: Double? { if case .number(let v) = self { v } else { nil } }
        public var string: String? { if case .string(let v) = self { v } else { nil } }
        public var boolean: Bool? { if case .boolean(let v) = self { v } else { nil } }
        public var strings: [String]? { if case .strings(let v) = self { v } else { nil } }

        /// The value as TOML writes it (also valid YAML flow syntax): `30`, `0.05`, `"iid"`, `["a"]`.
        public var description: String {
            switch self {
            case .integer(let v): String(v)
            case .seed(let v): String(v)
            case .number(let v): String(v)
            case .string(let v): Self.quoted(v)
            case .boolean(let v): String(v)
            case .strings(let v): "[" + v.map(Self.quoted).joined(separator: ", ") + "]"
            }
        }

        /// The value as `--help` shows a default: `30`, `0.05`, `iid`.
        public var plain: String {
            switch self {
            case .string(let v): v
            case .strings(let v): v.joined(separator: ", ")
            default: description
            }
        }

        /// `text` as a double-quoted string, escaped as TOML and YAML both read it.
        public static func quoted(_ text: String) -> String { jsonQuoted(text) }
    }
}

/// The Levenshtein distance between `a` and `b`, by Unicode scalars.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count), current = previous
    for i in 1...a.count {
        current[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
