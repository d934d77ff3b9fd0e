import Foundation
import Federation

/// Options of `fedtop run`, each one set or not: what one source (the command line, a run file,
/// a run's `run.json`) says.
///
/// `file.overriding(with: commandLine)` is what a run uses, so that options given on the command line
/// win over the file. ``defaults`` holds the table's defaults, as `fedtop init` writes them. The typed
/// readers (``integer(_:)``, ``number(_:)``, …) give a set value or else the option's default; the
/// subscript gives only what is set here.
public struct RunOptions: Equatable, Sendable {
    private var values: [RunOption: RunOption.Value]

    /// Options set to `values`; each value must be of its option's kind.
    public init(_ values: [RunOption: RunOption.Value] = [:]) {
        self.values = [:]
        for (option, value) in values { self[option] = value }
    }

    /// Every option with a default in the table, set to it.
    public static let defaults = RunOptions(Dictionary(uniqueKeysWithValues: RunOption.all.compactMap { o in
        o.defaultValue.map { (o, $0) }
    }))

    /// The value set for `option` here (not its default). Setting a value of another kind than the
    /// option's is a programming error.
    public subscript(option: RunOption) -> RunOption.Value? {
        get { values[option] }
        set {
            precondition(newValue == nil || newValue!.kind == option.kind, "\(option) takes \(option.kind.expected), not \(newValue!)")
            values[option] = newValue
        }
    }

    /// Whether `option` is set here.
    public func isSet(_ option: RunOption) -> Bool { values[option] != nil }

    /// The value set here, or else the option's default.
    public func value(_ option: RunOption) -> RunOption.Value? { values[option] ?? option.defaultValue }

    /// An integer option's value or default (the option must have one).
    public func integer(_ option: RunOption) -> Int { required(option).integer! }
    /// A seed option's value or default (the option must have one).
    public func seed(_ option: RunOption) -> UInt64 { required(option).seed! }
    /// A number option's value or default (the option must have one).
    public func number(_ option: RunOption) -> Double { required(option).number! }
    /// A string option's value or default (the option must have one).
    public func string(_ option: RunOption) -> String { required(option).string! }
    /// The batch size, learning rate and clip norm set here, each unset one taken from `defaults`
    /// (the model's, ``TrainingDefaults``).
    public func training(_ defaults: TrainingDefaults) -> TrainingDefaults {
        TrainingDefaults(batchSize: self[.batchSize]?.integer ?? defaults.batchSize,
                         learningRate: self[.learningRate]?.number.map { Float($0) } ?? defaults.learningRate,
                         clipNorm: self[.clip]?.number ?? defaults.clipNorm)
    }
    /// A flag: whether it is set true (false when unset and without default).
    public func flag(_ option: RunOption) -> Bool { value(option)?.boolean ?? false }

    private func required(_ option: RunOption) -> RunOption.Value {
        guard let value = value(option) else { preconditionFailure("\(option) has no value and no default") }
        return value
    }

    /// These options with every option `other` sets replacing this one's.
    public func overriding(with other: RunOptions) -> RunOptions {
        var result = self
        result.values.merge(other.values) { _, new in new }
        return result
    }

    /// Whether no option is set.
    public var isEmpty: Bool { values.isEmpty }

    /// The options set, in table order.
    public var set: [(option: RunOption, value: RunOption.Value)] {
        RunOption.all.compactMap { o in values[o].map { (o, $0) } }
    }
}

// MARK: - Validation

extension RunOptions {
    /// An option whose value is out of range, e.g. a negative count.
    public struct InvalidOption: Error, Equatable, CustomStringConvertible {
        public var option: RunOption
        /// What is wrong, e.g. "must be at least 1, got 0".
        public var problem: String
        public var description: String { "\(option.flag) \(problem)" }

        public init(option: RunOption, problem: String) {
            self.option = option
            self.problem = problem
        }
    }

    /// Checks each set option on its own (ranges, the `dp` modes, the partition scheme, address form);
    /// combinations (`epsilon` with `noise`, `quorum` above `per-round`) are the run's to check
    /// (``RunPlan``). Throws for the first bad option in table order.
    public func validate() throws(InvalidOption) {
        for (option, value) in set {
            if let problem = option.problem(with: value) { throw InvalidOption(option: option, problem: problem) }
        }
    }
}

// MARK: - run.json

/// The options a run was started with are kept in its directory (`run.json`), so `--resume` can
/// rebuild the same federation: one key per option set, in camel case (``RunOption/jsonKey``), with
/// the value as JSON writes it.
extension RunOptions: Codable {
    private struct JSONKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init()
        for option in RunOption.all {
            let key = JSONKey(stringValue: option.jsonKey)
            guard container.contains(key), try !container.decodeNil(forKey: key) else { continue }
            let value: RunOption.Value = switch option.kind {
            case .integer: .integer(try container.decode(Int.self, forKey: key))
            case .seed: .seed(try container.decode(UInt64.self, forKey: key))
            case .number: .number(try container.decode(Double.self, forKey: key))
            case .string: .string(try container.decode(String.self, forKey: key))
            case .boolean: .boolean(try container.decode(Bool.self, forKey: key))
            case .strings: .strings(try container.decode([String].self, forKey: key))
            }
            if let problem = option.problem(with: value) {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(option.flag) \(problem)")
            }
            self[option] = value
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        for (option, value) in set {
            let key = JSONKey(stringValue: option.jsonKey)
            switch value {
            case .integer(let v): try container.encode(v, forKey: key)
            case .seed(let v): try container.encode(v, forKey: key)
            case .number(let v): try container.encode(v, forKey: key)
            case .string(let v): try container.encode(v, forKey: key)
            case .boolean(let v): try container.encode(v, forKey: key)
            case .strings(let v): try container.encode(v, forKey: key)
            }
        }
    }
}
