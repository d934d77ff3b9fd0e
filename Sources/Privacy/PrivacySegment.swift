/// A stretch of training at fixed settings: `steps` Poisson-subsampled Gaussian steps with sampling
/// rate q and noise multiplier σ. Changing σ, C or q mid-run starts a new segment.
public struct PrivacySegment: Sendable, Equatable, CustomStringConvertible {
    /// q, in (0, 1]: each record (or hospital) joins a step independently with this probability.
    public var sampleRate: Double
    /// σ ≥ 0: the noise's standard deviation as a multiple of the clip norm.
    public var noiseMultiplier: Double
    /// How many steps.
    public var steps: Int

    public init(sampleRate: Double, noiseMultiplier: Double, steps: Int) throws(PrivacyError) {
        guard sampleRate > 0, sampleRate <= 1 else {
            throw .invalidSetting(name: "sample rate q", value: sampleRate, expected: "0 < q ≤ 1")
        }
        guard noiseMultiplier >= 0, noiseMultiplier.isFinite else {
            throw .invalidSetting(name: "noise multiplier σ", value: noiseMultiplier, expected: "σ ≥ 0")
        }
        guard steps >= 0 else {
            throw .invalidSetting(name: "steps", value: Double(steps), expected: "steps ≥ 0")
        }
        self.sampleRate = sampleRate
        self.noiseMultiplier = noiseMultiplier
        self.steps = steps
    }

    /// Parses `q:σ:steps`.
    public init(parsing text: String) throws(PrivacyError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let q = Double(parts[0]), let sigma = Double(parts[1]), let steps = Int(parts[2]) else {
            throw .malformedSegment(text)
        }
        try self.init(sampleRate: q, noiseMultiplier: sigma, steps: steps)
    }

    /// Parses `q:σ:steps;q:σ:steps;…`.
    public static func parseHistory(_ text: String) throws(PrivacyError) -> [PrivacySegment] {
        var result: [PrivacySegment] = []
        for part in text.split(separator: ";") { result.append(try PrivacySegment(parsing: String(part))) }
        guard !result.isEmpty else { throw .malformedSegment(text) }
        return result
    }

    public var description: String { "\(sampleRate):\(noiseMultiplier):\(steps)" }
}

/// Errors of the privacy module, each naming the value that was wrong.
public enum PrivacyError: Error, Equatable, CustomStringConvertible {
    /// A setting outside its valid range.
    case invalidSetting(name: String, value: Double, expected: String)
    /// A history segment that is not `q:σ:steps`.
    case malformedSegment(String)
    /// A specification (`--adversarial`, …) that does not read; the text says what was expected.
    case malformedSpecification(String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected):
            return "invalid \(name): \(value) (expected \(expected))"
        case let .malformedSegment(text):
            return "malformed segment '\(text)' (expected q:sigma:steps, e.g. 0.01:1.1:1000, joined by ';')"
        case let .malformedSpecification(text):
            return text
        }
    }
}
