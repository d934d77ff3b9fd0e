import Foundation

/// A run's differential privacy as the engine starts it: the mode and, for each level that is on,
/// its settings — sample-level DP-SGD's σ and C, client-level DP-FedAvg's z, S and q. Typed, so that a
/// screen or a script reads σ from a field, never from text.
///
/// Contract: the sample-level fields are set exactly when ``mode`` is sample-level, the client-level
/// ones exactly when it is client-level. ``description`` is the one-line form the log shows
/// (`sample σ 1.1 C 1`); journals of earlier versions held only that line, and are read back through
/// ``init(legacy:)``.
public struct RunPrivacy: Sendable, Codable, Equatable, CustomStringConvertible {
    public var mode: PrivacyMode
    /// DP-SGD's noise multiplier σ and per-sample clip norm C.
    public var sampleNoise: Double?
    public var sampleClip: Double?
    /// DP-FedAvg's noise multiplier z, update clip norm S and hospital sampling rate q.
    public var clientNoise: Double?
    public var clientClip: Double?
    public var clientSampleRate: Double?

    public init(mode: PrivacyMode, sampleNoise: Double? = nil, sampleClip: Double? = nil, clientNoise: Double? = nil,
                clientClip: Double? = nil, clientSampleRate: Double? = nil) {
        self.mode = mode
        self.sampleNoise = sampleNoise
        self.sampleClip = sampleClip
        self.clientNoise = clientNoise
        self.clientClip = clientClip
        self.clientSampleRate = clientSampleRate
    }

    /// The noise multiplier a screen shows and tunes: σ when DP-SGD is on, else z.
    public var noiseMultiplier: Double? { sampleNoise ?? clientNoise }
    /// The clip norm a screen shows and tunes: C when DP-SGD is on, else S.
    public var clipNorm: Double? { sampleClip ?? clientClip }

    public var description: String {
        var text = mode.rawValue
        if let sampleNoise, let sampleClip { text += String(format: " σ %.3g C %.3g", sampleNoise, sampleClip) }
        if let clientNoise, let clientClip, let clientSampleRate {
            text += String(format: " z %.3g S %.3g q %.3g", clientNoise, clientClip, clientSampleRate)
        }
        return text
    }

    /// The settings an earlier version wrote as one line (`sample σ 1.1 C 1`, `client z 0.8 S 1 q 0.5`).
    public init(legacy text: String) {
        let words = text.split(separator: " ")
        func value(after key: String) -> Double? {
            words.firstIndex { $0 == key }.flatMap { $0 + 1 < words.count ? Double(words[$0 + 1]) : nil }
        }
        self.init(mode: words.first.flatMap { PrivacyMode(rawValue: String($0)) } ?? .off,
                  sampleNoise: value(after: "σ"), sampleClip: value(after: "C"),
                  clientNoise: value(after: "z"), clientClip: value(after: "S"), clientSampleRate: value(after: "q"))
    }

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(legacy: text)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(mode: try c.decode(PrivacyMode.self, forKey: .mode),
                  sampleNoise: try c.decodeIfPresent(Double.self, forKey: .sampleNoise),
                  sampleClip: try c.decodeIfPresent(Double.self, forKey: .sampleClip),
                  clientNoise: try c.decodeIfPresent(Double.self, forKey: .clientNoise),
                  clientClip: try c.decodeIfPresent(Double.self, forKey: .clientClip),
                  clientSampleRate: try c.decodeIfPresent(Double.self, forKey: .clientSampleRate))
    }

    private enum CodingKeys: String, CodingKey {
        case mode, sampleNoise, sampleClip, clientNoise, clientClip, clientSampleRate
    }
}
