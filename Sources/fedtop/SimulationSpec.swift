import Federation

/// `--simulate NAME:KEY=VALUE,...`: how a simulated hospital misbehaves, for demos and tests.
/// Keys: `speed` (relative, 0.5 = twice as slow), `delay` (seconds before its update arrives),
/// `fail` (probability a round fails), `offline` (rounds `A-B` or `A` it is away), `malicious`
/// (`true`: flips its labels).
struct SimulationSpec: Equatable {
    var hospital: String
    var knobs: SimulationKnobs
    var malicious: Bool

    static let help = "NAME:speed=S,delay=SECONDS,fail=P,offline=A-B,malicious=true"

    init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw UsageError("--simulate '\(text)': expected \(SimulationSpec.help)")
        }
        hospital = String(text[..<colon])
        knobs = SimulationKnobs()
        malicious = false
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
                guard let on = Bool(value) else { throw UsageError("--simulate \(hospital): malicious=\(value) must be true or false") }
                malicious = on
            default:
                throw UsageError("--simulate \(hospital): unknown key '\(key)' (expected speed, delay, fail, offline, malicious)")
            }
        }
        if let problem = knobs.problem { throw UsageError("--simulate \(hospital): \(problem)") }
    }
}
