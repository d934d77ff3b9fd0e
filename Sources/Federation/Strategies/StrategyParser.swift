/// Reads a strategy from its name, as typed on the command line or written in a run's files.
///
/// Contract: accepts exactly the forms in ``StrategyParseError/acceptedForms`` (the keyword in any
/// case, no spaces); every strategy's ``Strategy/name`` parses back to a strategy with the same name
/// and settings. Values are checked here, so a parsed strategy never traps on its preconditions.
public enum StrategyParser {
    public static func parse(_ text: String) throws(StrategyParseError) -> any Strategy {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let keyword = parts[0].lowercased()
        let values = Array(parts.dropFirst())
        let reader = ValueReader(text: text)
        switch keyword {
        case "fedavg":
            try reader.expect(values.count <= 1, form: "fedavg[:ETA]")
            guard let eta = values.first else { return FedAvg() }
            return FedAvg(serverLearningRate: try reader.float(eta, "server learning rate ETA", "ETA > 0") { $0 > 0 })
        case "fedprox":
            try reader.expect(values.count == 1, form: "fedprox:MU")
            return FedProx(proximalMu: try reader.float(values[0], "proximal MU", "MU ≥ 0") { $0 >= 0 })
        case let name where FedOpt.Variant(rawValue: name) != nil:
            let variant = FedOpt.Variant(rawValue: name)!
            try reader.expect([0, 1, 2, 4].contains(values.count), form: "\(name)[:ETA[:TAU[:BETA1:BETA2]]]")
            var eta = FedOpt.defaultServerLearningRate, tau = FedOpt.defaultTau
            var beta1 = FedOpt.defaultBeta1, beta2 = FedOpt.defaultBeta2
            if values.count >= 1 { eta = try reader.double(values[0], "server learning rate ETA", "ETA > 0") { $0 > 0 } }
            if values.count >= 2 { tau = try reader.double(values[1], "TAU", "TAU > 0") { $0 > 0 } }
            if values.count == 4 {
                beta1 = try reader.double(values[2], "BETA1", "0 ≤ BETA1 < 1") { $0 >= 0 && $0 < 1 }
                beta2 = try reader.double(values[3], "BETA2", "0 ≤ BETA2 < 1") { $0 >= 0 && $0 < 1 }
            }
            return FedOpt(variant, serverLearningRate: eta, beta1: beta1, beta2: beta2, tau: tau)
        case "median":
            try reader.expect(values.isEmpty, form: "median")
            return CoordinateMedian()
        case "trimmed":
            try reader.expect(values.count == 1, form: "trimmed:BETA")
            return TrimmedMean(beta: try reader.double(values[0], "BETA", "0 ≤ BETA < 0.5") { $0 >= 0 && $0 < 0.5 })
        case "krum":
            try reader.expect(values.count == 1, form: "krum:F")
            return Krum(byzantine: try reader.integer(values[0], "F", "an integer F ≥ 0") { $0 >= 0 })
        case "multikrum":
            try reader.expect(values.count == 2, form: "multikrum:F:M")
            let f = try reader.integer(values[0], "F", "an integer F ≥ 0") { $0 >= 0 }
            let m = try reader.integer(values[1], "M", "an integer M ≥ 1") { $0 >= 1 }
            return MultiKrum(byzantine: f, selected: m)
        case "normbound":
            try reader.expect(values.count == 1, form: "normbound:M")
            return NormBounding(maxNorm: try reader.double(values[0], "norm bound M", "M > 0") { $0 > 0 })
        default:
            throw .unknownStrategy(text)
        }
    }

    /// Reads the values of one strategy text, naming the text in its errors.
    private struct ValueReader {
        let text: String

        func expect(_ condition: Bool, form: String) throws(StrategyParseError) {
            guard condition else { throw .wrongParameterCount(text: text, form: form) }
        }

        func float(_ value: String, _ parameter: String, _ expected: String,
                   valid: (Float) -> Bool) throws(StrategyParseError) -> Float {
            guard let x = Float(value), x.isFinite, valid(x) else {
                throw .invalidValue(text: text, parameter: parameter, value: value, expected: expected)
            }
            return x
        }

        func double(_ value: String, _ parameter: String, _ expected: String,
                    valid: (Double) -> Bool) throws(StrategyParseError) -> Double {
            guard let x = Double(value), x.isFinite, valid(x) else {
                throw .invalidValue(text: text, parameter: parameter, value: value, expected: expected)
            }
            return x
        }

        func integer(_ value: String, _ parameter: String, _ expected: String,
                     valid: (Int) -> Bool) throws(StrategyParseError) -> Int {
            guard let x = Int(value), valid(x) else {
                throw .invalidValue(text: text, parameter: parameter, value: value, expected: expected)
            }
            return x
        }
    }
}

/// Why a strategy text was refused. Each message names the text and the bad part and lists the
/// accepted forms.
public enum StrategyParseError: Error, Equatable, CustomStringConvertible {
    /// The keyword names no strategy.
    case unknownStrategy(String)
    /// The strategy was given too many or too few values; `form` is the one it takes.
    case wrongParameterCount(text: String, form: String)
    /// A value that is not a number of the right kind, or is outside its range.
    case invalidValue(text: String, parameter: String, value: String, expected: String)

    /// The forms the parser accepts.
    public static let acceptedForms = "fedavg[:ETA], fedprox:MU, fedadam[:ETA[:TAU[:BETA1:BETA2]]] "
        + "(also fedyogi, fedadagrad), median, trimmed:BETA, krum:F, multikrum:F:M, normbound:M"

    public var description: String {
        switch self {
        case .unknownStrategy(let text):
            "unknown strategy '\(text)' (accepted: \(Self.acceptedForms))"
        case let .wrongParameterCount(text, form):
            "strategy '\(text)': expected \(form) (accepted: \(Self.acceptedForms))"
        case let .invalidValue(text, parameter, value, expected):
            "strategy '\(text)': invalid \(parameter) '\(value)' (expected \(expected); accepted: \(Self.acceptedForms))"
        }
    }
}
