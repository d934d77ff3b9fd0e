import Datasets
import Transport

/// Every option of `fedtop run`, each optional: `nil` is "not given here".
///
/// One value of this type comes from the run file (``RunFile/load(path:)``), one from the command
/// line; `file.overriding(with: commandLine)` is what the run uses, so that options given on the
/// command line win over the file. ``defaults`` holds the defaults that `fedtop init` writes.
///
/// ``Key`` names each option exactly as the command line does, without the dashes
/// (`local-epochs` is `--local-epochs`); the run file uses the same keys.
struct RunOptions: Equatable, Sendable {
    // Federation
    /// Local (simulated) hospitals.
    var hospitals: Int?
    /// Remote hospitals, `grpcs://[NAME@]HOST:PORT` each (`fedtop hospital` processes).
    var hospital: [String]?
    /// The console's folder from `fedtop certs init`, for remote hospitals.
    var certs: String?
    /// Hospitals asked each round (instead of `sampleRate`).
    var perRound: Int?
    /// The chance each hospital is asked in a round (Poisson sampling; instead of `perRound`).
    var sampleRate: Double?
    /// The fewest updates a round aggregates.
    var quorum: Int?
    /// Seconds a round waits for updates.
    var deadline: Double?
    /// The aggregation strategy, e.g. `fedavg`.
    var strategy: String?
    /// Federated rounds.
    var rounds: Int?

    // Data
    /// The data, as `--dataset` takes it (`lesions`, `csv:PATH`, …).
    var dataset: String?
    /// How the records are split across hospitals: `iid`, `dirichlet:ALPHA`, `quantity:SIGMA`.
    var partition: String?
    /// Fraction of records held out for testing.
    var testFraction: Double?
    /// Fraction of all records held out centrally (before partitioning) for a central evaluation each round.
    var centralHoldout: Double?
    /// Winsorise each hospital's standardised features at ±this many standard deviations (nil: no bound).
    var featureClip: Double?

    // Model and training
    /// The model (default: by dataset).
    var model: String?
    /// Passes over its data each hospital makes per round.
    var localEpochs: Int?
    var batchSize: Int?
    var learningRate: Double?
    var momentum: Double?
    /// Seed for the split, initialisation, batch order and sampling.
    var seed: UInt64?

    // Privacy
    /// Which differential privacy: `sample` (DP-SGD), `client` (DP-FedAvg), `both` or `off`.
    var dp: String?
    /// The privacy budget ε for the whole run.
    var epsilon: Double?
    var delta: Double?
    /// Sample-level noise multiplier σ (instead of `epsilon`).
    var noise: Double?
    /// Sample-level clip norm C.
    var clip: Double?
    /// Client-level noise multiplier z.
    var clientNoise: Double?
    /// Client-level clip norm S (the initial one with `adaptiveClip`).
    var clientClip: Double?
    /// Adapt the client-level clip norm to a quantile of the update norms.
    var adaptiveClip: Bool?
    /// Seed for the privacy noise (reproducible, not secure).
    var noiseSeed: UInt64?
    /// Secure aggregation: the aggregator learns only the sum of the updates.
    var secureAggregation: Bool?
    /// Quantisation bits b of secure aggregation (2^b levels).
    var secaggBits: Int?
    /// Secure aggregation's clipping range c per coordinate.
    var secaggRange: Double?

    // Output
    /// The directory the run's files go to.
    var out: String?
    /// The run's name.
    var name: String?
    /// No console: print progress lines.
    var headless: Bool?
    /// Machine-readable output.
    var json: Bool?

    /// The defaults `fedtop init` writes. Options without a default here (`model`, `noise`, …) are
    /// left to `fedtop run`.
    static let defaults = RunOptions(
        hospitals: RunDefaults.hospitals, perRound: RunDefaults.hospitals, quorum: RunDefaults.quorum,
        strategy: RunDefaults.strategy, rounds: RunDefaults.rounds, dataset: RunDefaults.dataset, partition: RunDefaults.partition,
        localEpochs: RunDefaults.localEpochs, batchSize: RunDefaults.batchSize, learningRate: RunDefaults.learningRate,
        momentum: RunDefaults.momentum, seed: RunDefaults.seed, dp: RunDefaults.dp, epsilon: RunDefaults.epsilon,
        delta: RunDefaults.delta, clip: RunDefaults.clip)

    /// The values `dp` takes.
    static let privacyModes = ["sample", "client", "both", "off"]

    /// These options with every option `other` sets replacing this one's.
    func overriding(with other: RunOptions) -> RunOptions {
        var result = self
        for key in Key.allCases {
            if let value = other[key] { result[key] = value }
        }
        return result
    }

    /// Whether no option is set.
    var isEmpty: Bool { Key.allCases.allSatisfy { self[$0] == nil } }
}

// MARK: - Keys

extension RunOptions {
    /// One option, named as on the command line without the dashes.
    enum Key: String, CaseIterable, Sendable, CustomStringConvertible {
        case hospitals, hospital, certs
        case perRound = "per-round", sampleRate = "sample-rate", quorum, deadline, strategy, rounds
        case dataset, partition, testFraction = "test-fraction", centralHoldout = "central-holdout"
        case featureClip = "feature-clip"
        case model, localEpochs = "local-epochs", batchSize = "batch-size", learningRate = "learning-rate"
        case momentum, seed
        case dp, epsilon, delta, noise, clip, clientNoise = "client-noise", clientClip = "client-clip"
        case adaptiveClip = "adaptive-clip", noiseSeed = "noise-seed"
        case secureAggregation = "secure-aggregation", secaggBits = "secagg-bits", secaggRange = "secagg-range"
        case out, name, headless, json

        var description: String { rawValue }

        /// The command-line option, e.g. `--local-epochs`.
        var option: String { "--" + rawValue }

        /// What the key's value is.
        var kind: Kind {
            switch self {
            case .hospitals, .perRound, .quorum, .rounds, .localEpochs, .batchSize, .secaggBits: .integer
            case .seed, .noiseSeed: .seed
            case .sampleRate, .deadline, .testFraction, .centralHoldout, .featureClip, .learningRate, .momentum, .epsilon, .delta, .noise, .clip,
                 .clientNoise, .clientClip, .secaggRange: .number
            case .strategy, .dataset, .partition, .model, .dp, .out, .name, .certs: .string
            case .adaptiveClip, .headless, .json, .secureAggregation: .boolean
            case .hospital: .strings
            }
        }

        /// The closest key to a misspelt `name`: the same key spelt with `_` or in camel case, or
        /// one at most two edits away (ties go to the earlier key).
        static func closest(to name: String) -> Key? {
            var normalized = "", previous: Character?
            for character in name {
                if character.isUppercase, previous?.isLowercase == true { normalized.append("-") }
                normalized.append(character == "_" ? "-" : Character(character.lowercased()))
                previous = character
            }
            if let key = Key(rawValue: normalized) { return key }
            let best = allCases.map { ($0, editDistance(name.lowercased(), $0.rawValue)) }.min { $0.1 < $1.1 }
            guard let best, best.1 <= 2 else { return nil }
            return best.0
        }
    }

    /// The type of an option's value.
    enum Kind: Sendable {
        /// `Int`.
        case integer
        /// `UInt64`, written as an integer ≥ 0.
        case seed
        /// `Double`; an integer is accepted too.
        case number
        case string
        case boolean
        /// `[String]`.
        case strings

        /// How error messages name it: "expected an integer".
        var expected: String {
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

    /// One option's value, of its key's ``Kind``.
    enum Value: Equatable, Sendable, CustomStringConvertible {
        case integer(Int)
        case seed(UInt64)
        case number(Double)
        case string(String)
        case boolean(Bool)
        case strings([String])

        /// The value as TOML writes it (also valid YAML flow syntax): `30`, `0.05`, `"iid"`, `["a"]`.
        var description: String {
            switch self {
            case .integer(let v): String(v)
            case .seed(let v): String(v)
            case .number(let v): String(v)
            case .string(let v): Self.quoted(v)
            case .boolean(let v): String(v)
            case .strings(let v): "[" + v.map(Self.quoted).joined(separator: ", ") + "]"
            }
        }

        /// `text` as a double-quoted string, escaped as TOML and YAML both read it.
        static func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
    }

    /// The option `key`, as a ``Value`` of the key's kind. Setting a value of another kind is a
    /// programming error.
    subscript(key: Key) -> Value? {
        get {
            switch key {
            case .hospitals: hospitals.map(Value.integer)
            case .hospital: hospital.map(Value.strings)
            case .perRound: perRound.map(Value.integer)
            case .sampleRate: sampleRate.map(Value.number)
            case .quorum: quorum.map(Value.integer)
            case .deadline: deadline.map(Value.number)
            case .strategy: strategy.map(Value.string)
            case .rounds: rounds.map(Value.integer)
            case .dataset: dataset.map(Value.string)
            case .partition: partition.map(Value.string)
            case .testFraction: testFraction.map(Value.number)
            case .centralHoldout: centralHoldout.map(Value.number)
            case .featureClip: featureClip.map(Value.number)
            case .model: model.map(Value.string)
            case .localEpochs: localEpochs.map(Value.integer)
            case .batchSize: batchSize.map(Value.integer)
            case .learningRate: learningRate.map(Value.number)
            case .momentum: momentum.map(Value.number)
            case .seed: seed.map(Value.seed)
            case .dp: dp.map(Value.string)
            case .epsilon: epsilon.map(Value.number)
            case .delta: delta.map(Value.number)
            case .noise: noise.map(Value.number)
            case .clip: clip.map(Value.number)
            case .clientNoise: clientNoise.map(Value.number)
            case .clientClip: clientClip.map(Value.number)
            case .adaptiveClip: adaptiveClip.map(Value.boolean)
            case .noiseSeed: noiseSeed.map(Value.seed)
            case .secureAggregation: secureAggregation.map(Value.boolean)
            case .secaggBits: secaggBits.map(Value.integer)
            case .secaggRange: secaggRange.map(Value.number)
            case .out: out.map(Value.string)
            case .certs: certs.map(Value.string)
            case .name: name.map(Value.string)
            case .headless: headless.map(Value.boolean)
            case .json: json.map(Value.boolean)
            }
        }
        set {
            func integer() -> Int? {
                guard let newValue else { return nil }
                guard case .integer(let v) = newValue else { preconditionFailure("\(key) takes an integer, not \(newValue)") }
                return v
            }
            func seed() -> UInt64? {
                guard let newValue else { return nil }
                guard case .seed(let v) = newValue else { preconditionFailure("\(key) takes a seed, not \(newValue)") }
                return v
            }
            func number() -> Double? {
                guard let newValue else { return nil }
                guard case .number(let v) = newValue else { preconditionFailure("\(key) takes a number, not \(newValue)") }
                return v
            }
            func string() -> String? {
                guard let newValue else { return nil }
                guard case .string(let v) = newValue else { preconditionFailure("\(key) takes a string, not \(newValue)") }
                return v
            }
            func boolean() -> Bool? {
                guard let newValue else { return nil }
                guard case .boolean(let v) = newValue else { preconditionFailure("\(key) takes a boolean, not \(newValue)") }
                return v
            }
            func strings() -> [String]? {
                guard let newValue else { return nil }
                guard case .strings(let v) = newValue else { preconditionFailure("\(key) takes strings, not \(newValue)") }
                return v
            }
            switch key {
            case .hospitals: hospitals = integer()
            case .hospital: hospital = strings()
            case .perRound: perRound = integer()
            case .sampleRate: sampleRate = number()
            case .quorum: quorum = integer()
            case .deadline: deadline = number()
            case .strategy: strategy = string()
            case .rounds: rounds = integer()
            case .dataset: dataset = string()
            case .partition: partition = string()
            case .testFraction: testFraction = number()
            case .centralHoldout: centralHoldout = number()
            case .featureClip: featureClip = number()
            case .model: model = string()
            case .localEpochs: localEpochs = integer()
            case .batchSize: batchSize = integer()
            case .learningRate: learningRate = number()
            case .momentum: momentum = number()
            case .seed: self.seed = seed()
            case .dp: dp = string()
            case .epsilon: epsilon = number()
            case .delta: delta = number()
            case .noise: noise = number()
            case .clip: clip = number()
            case .clientNoise: clientNoise = number()
            case .clientClip: clientClip = number()
            case .adaptiveClip: adaptiveClip = boolean()
            case .noiseSeed: noiseSeed = seed()
            case .secureAggregation: secureAggregation = boolean()
            case .secaggBits: secaggBits = integer()
            case .secaggRange: secaggRange = number()
            case .out: out = string()
            case .certs: certs = string()
            case .name: name = string()
            case .headless: headless = boolean()
            case .json: json = boolean()
            }
        }
    }
}

// MARK: - Validation

extension RunOptions {
    /// An option whose value is out of range, e.g. a negative count.
    struct InvalidOption: Error, Equatable, CustomStringConvertible {
        var key: Key
        /// What is wrong, e.g. "must be at least 1, got 0".
        var problem: String
        var description: String { "\(key.option) \(problem)" }
    }

    /// Checks each set option on its own (ranges, the `dp` modes, the partition scheme, address form);
    /// combinations (`epsilon` with `noise`, `quorum` above `per-round`) are the run's to check.
    /// Throws for the first bad option in ``Key`` order.
    func validate() throws(InvalidOption) {
        for key in Key.allCases {
            if let value = self[key], let problem = Self.problem(with: value, for: key) {
                throw InvalidOption(key: key, problem: problem)
            }
        }
    }

    /// What is wrong with `value` for `key`, or nil.
    static func problem(with value: Value, for key: Key) -> String? {
        func atLeast(_ minimum: Int, _ v: Int) -> String? { v >= minimum ? nil : "must be at least \(minimum), got \(v)" }
        func positive(_ v: Double) -> String? { v > 0 && v.isFinite ? nil : "must be positive, got \(v)" }
        func nonNegative(_ v: Double) -> String? { v >= 0 && v.isFinite ? nil : "must be ≥ 0, got \(v)" }
        func fraction(_ v: Double) -> String? { v > 0 && v < 1 ? nil : "must be between 0 and 1 (exclusive), got \(v)" }
        switch (key, value) {
        case (.hospitals, .integer(let v)): return atLeast(0, v)
        case (.perRound, .integer(let v)), (.quorum, .integer(let v)), (.rounds, .integer(let v)),
             (.localEpochs, .integer(let v)), (.batchSize, .integer(let v)):
            return atLeast(1, v)
        case (.sampleRate, .number(let v)): return v > 0 && v <= 1 ? nil : "must be in (0, 1], got \(v)"
        case (.momentum, .number(let v)): return v >= 0 && v < 1 ? nil : "must be in [0, 1), got \(v)"
        case (.testFraction, .number(let v)), (.delta, .number(let v)): return fraction(v)
        case (.centralHoldout, .number(let v)): return v > 0 && v <= 0.5 ? nil : "must be in (0, 0.5], got \(v)"
        case (.featureClip, .number(let v)): return Standardizer.isValidClip(v) ? nil : "must be a positive number of standard deviations, got \(v)"
        case (.deadline, .number(let v)), (.learningRate, .number(let v)), (.epsilon, .number(let v)),
             (.clip, .number(let v)), (.clientClip, .number(let v)):
            return positive(v)
        case (.noise, .number(let v)), (.clientNoise, .number(let v)): return nonNegative(v)
        case (.dp, .string(let v)):
            return privacyModes.contains(v) ? nil : "must be one of \(privacyModes.joined(separator: ", ")), got \"\(v)\""
        case (.partition, .string(let v)):
            do { _ = try PartitionScheme(parsing: v) } catch { return "\(error)" }
            return nil
        case (.strategy, .string(let v)), (.dataset, .string(let v)), (.model, .string(let v)),
             (.out, .string(let v)), (.name, .string(let v)), (.certs, .string(let v)):
            return v.isEmpty ? "must not be empty" : nil
        case (.hospital, .strings(let addresses)):
            for address in addresses where !isRemoteAddress(address) {
                return "must be addresses of the form grpcs://[NAME@]HOST:PORT, got \"\(address)\""
            }
            return nil
        default:
            return nil
        }
    }

    /// Whether `address` is a remote hospital's address (``RemoteHospital/Endpoint``).
    static func isRemoteAddress(_ address: String) -> Bool {
        (try? RemoteHospital.Endpoint(parsing: address)) != nil
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

/// The options a run was started with are kept in its directory (`run.json`), so `--resume` can
/// rebuild the same federation.
extension RunOptions: Codable {}
