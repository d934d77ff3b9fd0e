import Audit
import Federation

/// `--simulate NAME:KEY=VALUE,...`: how a simulated hospital misbehaves, for demos and tests.
/// Keys: `speed` (relative, 0.5 = twice as slow), `delay` (seconds before its update arrives),
/// `fail` (probability a round fails), `offline` (rounds `A-B` or `A` it is away), `malicious`
/// (`true` or `flip`: flips its labels; `backdoor`: a pixel-trigger backdoor towards class 0 with
/// model replacement, its update scaled by the number of hospitals — image data only; `nan`, `inf`,
/// `scale=K`, `counts`: trains honestly but forges what it sends, see ``UpdateForgery``).
public struct SimulationSpec: Equatable {
    /// What a malicious simulated hospital does: flips labels, plants a backdoor, or forges what it sends.
    public enum Malice: Equatable {
        case honest, flip, backdoor
        /// Forged updates and counts (``UpdateForgery``).
        case forge(UpdateForgery.Mode)
    }

    public var hospital: String
    public var knobs: SimulationKnobs
    public var malice: Malice
    public var malicious: Bool { malice != .honest }

    public static let help = "NAME:speed=S,delay=SECONDS,fail=P,offline=A-B,malicious=true|flip|backdoor|nan|inf|scale=K|counts"

    /// The attack this hospital runs, or nil when honest.
    public func attack(featureShape: [Int], hospitals: Int) throws -> (any PoisoningAttack)? {
        switch malice {
        case .honest: return nil
        case .flip: return LabelFlipping()
        case .forge(let mode): return UpdateForgery(mode)
        case .backdoor:
            do {
                return try PixelBackdoor(featureShape: featureShape, boost: Float(max(1, hospitals)))
            } catch { throw UsageError("--simulate \(hospital): malicious=backdoor: \(error)") }
        }
    }

    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw UsageError("--simulate '\(text)': expected \(SimulationSpec.help)")
        }
        hospital = String(text[..<colon])
        knobs = SimulationKnobs()
        malice = .honest
        for pair in text[text.index(after: colon)...].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            // `malicious=scale=K`: the one value with an `=` of its own.
            if kv.count == 2, kv[0] == "malicious", kv[1].hasPrefix("scale=") {
                guard let k = Float(kv[1].dropFirst(6)), k.isFinite, k != 0 else {
                    throw UsageError("--simulate \(hospital): malicious=\(kv[1]) needs a finite, non-zero factor K (scale=K)")
                }
                malice = .forge(.scale(k))
                continue
            }
            guard kv.count == 2 else { throw UsageError("--simulate \(hospital): '\(pair)' is not KEY=VALUE") }
            let (key, value) = (kv[0], kv[1])
            func number() throws -> Double {
                guard let x = Double(value), x.isFinite else { throw UsageError("--simulate \(hospital): \(key)=\(value) is not a number") }
                return x
            }
            switch key {
            case "speed": knobs.speed = try number()
            case "delay": knobs.stragglerDelay = try number()
            case "fail": knobs.failureProbability = try number()
            case "offline":
                let ends = value.split(separator: "-").map { Int($0) }
                guard (1...2).contains(ends.count), let a = ends.first!, let b = ends.last!, a >= 1, a <= b else {
                    throw UsageError("--simulate \(hospital): offline=\(value) must be rounds A-B (or A), 1 ≤ A ≤ B")
                }
                knobs.offlineRounds = a...b
            case "malicious":
                switch value {
                case "true", "flip": malice = .flip
                case "false": malice = .honest
                case "backdoor": malice = .backdoor
                case "nan": malice = .forge(.nan)
                case "inf": malice = .forge(.infinity)
                case "counts": malice = .forge(.wrongCounts)
                default:
                    throw UsageError("--simulate \(hospital): malicious=\(value) must be true, false, flip, backdoor, nan, inf, "
                                     + "scale=K or counts")
                }
            default:
                throw UsageError("--simulate \(hospital): unknown key '\(key)' (expected speed, delay, fail, offline, malicious)")
            }
        }
        if let problem = knobs.problem { throw UsageError("--simulate \(hospital): \(problem)") }
    }
}
