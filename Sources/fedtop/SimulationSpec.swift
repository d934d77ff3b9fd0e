import Audit
import Federation

/// `--simulate NAME:KEY=VALUE,...`: how a simulated hospital misbehaves, for demos and tests.
/// Keys: `speed` (relative, 0.5 = twice as slow), `delay` (seconds before its update arrives),
/// `fail` (probability a round fails), `offline` (rounds `A-B` or `A` it is away), `malicious`
/// (`true` or `flip`: flips its labels; `backdoor`: a pixel-trigger backdoor towards class 0 with
/// model replacement, its update scaled by the number of hospitals — image data only).
struct SimulationSpec: Equatable {
    enum Malice: String, Equatable {
        case honest, flip, backdoor
    }

    var hospital: String
    var knobs: SimulationKnobs
    var malice: Malice
    var malicious: Bool { malice != .honest }

    static let help = "NAME:speed=S,delay=SECONDS,fail=P,offline=A-B,malicious=true|flip|backdoor"

    /// The attack this hospital runs, or nil when honest.
    func attack(featureShape: [Int], hospitals: Int) throws -> (any PoisoningAttack)? {
        switch malice {
        case .honest: return nil
        case .flip: return LabelFlipping()
        case .backdoor:
            do {
                return try PixelBackdoor(featureShape: featureShape, boost: Float(max(1, hospitals)))
            } catch { throw UsageError("--simulate \(hospital): malicious=backdoor: \(error)") }
        }
    }

    init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw UsageError("--simulate '\(text)': expected \(SimulationSpec.help)")
        }
        hospital = String(text[..<colon])
        knobs = SimulationKnobs()
        malice = .honest
        for pair in text[text.index(after: colon)...].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
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
                default:
                    throw UsageError("--simulate \(hospital): malicious=\(value) must be true, false, flip or backdoor")
                }
            default:
                throw UsageError("--simulate \(hospital): unknown key '\(key)' (expected speed, delay, fail, offline, malicious)")
            }
        }
        if let problem = knobs.problem { throw UsageError("--simulate \(hospital): \(problem)") }
    }
}
