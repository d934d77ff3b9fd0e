/// A privacy setting that is a number checked once, when it is made: encoded as the bare number,
/// and refused on decoding when it breaks the rule (a journal or run file cannot smuggle in a NaN).
public protocol ValidatedSetting: Sendable, Equatable, Codable {
    var value: Double { get }
    init(_ value: Double) throws(PrivacyError)
}

extension ValidatedSetting {
    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Double.self)
        do { try self.init(value) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// Sample-level DP-SGD's noise multiplier σ (Abadi et al. 2016): the Gaussian noise added to each
/// step's sum of clipped per-sample gradients has standard deviation σ·C.
///
/// Contract: finite and ≥ 0, checked here once for every caller (a command, a flag, a run file).
public struct SampleNoiseMultiplier: ValidatedSetting, CustomStringConvertible {
    public let value: Double

    public init(_ value: Double) throws(PrivacyError) {
        guard value >= 0, value.isFinite else {
            throw .invalidSetting(name: "sample-level noise multiplier σ", value: value, expected: "a finite number ≥ 0")
        }
        self.value = value
    }

    public var description: String { "σ \(value)" }
}

/// Client-level DP-FedAvg's noise multiplier z (McMahan et al. 2018): the Gaussian noise added to
/// the sum of clipped updates has standard deviation z·S.
///
/// Contract: finite and ≥ 0; a different type from σ, so that one can never be passed for the other.
public struct ClientNoiseMultiplier: ValidatedSetting, CustomStringConvertible {
    public let value: Double

    public init(_ value: Double) throws(PrivacyError) {
        guard value >= 0, value.isFinite else {
            throw .invalidSetting(name: "client-level noise multiplier z", value: value, expected: "a finite number ≥ 0")
        }
        self.value = value
    }

    public var description: String { "z \(value)" }
}

/// A clip norm: the L2 bound on a per-sample gradient (C, sample level) or on a hospital's update
/// (S, client level).
///
/// Contract: finite and > 0.
public struct ClipNorm: ValidatedSetting, CustomStringConvertible {
    public let value: Double

    public init(_ value: Double) throws(PrivacyError) {
        guard value > 0, value.isFinite else {
            throw .invalidSetting(name: "clip norm", value: value, expected: "a finite number > 0")
        }
        self.value = value
    }

    public var description: String { "\(value)" }
}
