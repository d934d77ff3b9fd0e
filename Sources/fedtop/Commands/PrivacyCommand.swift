import ArgumentParser
import Foundation
import Privacy

/// `fedtop privacy …`: privacy calculators, like TF Privacy's `compute_dp_sgd_privacy`.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Compute ε for a training history, or the noise for a target ε.",
        subcommands: [EpsilonCommand.self, NoiseCommand.self])
}

/// Which accountant answers.
enum AccountantKind: String, ExpressibleByArgument, CaseIterable {
    /// Rényi DP (Mironov et al. 2019) with the Balle et al. 2020 conversion.
    case rdp
    /// Privacy loss distributions composed by FFT (connect-the-dots): tight, slower.
    case pld

    /// ε of a history at δ, with the best RDP order where there is one.
    func epsilon(of history: [PrivacySegment], delta: Double) -> (epsilon: Double, order: Double?) {
        switch self {
        case .rdp:
            var a = RDPAccountant()
            for s in history { a.compose(s) }
            let (e, o) = a.epsilon(delta: delta)
            return (e, o)
        case .pld:
            var a = PLDAccountant()
            for s in history { a.compose(s) }
            return (a.epsilon(delta: delta), nil)
        }
    }
}

/// `fedtop privacy epsilon`: ε of a Poisson-subsampled Gaussian history.
struct EpsilonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epsilon", abstract: "ε spent by DP-SGD steps (or a history of segments) at δ.")

    @Option(help: "Sampling rate q (0 < q ≤ 1).") var sampleRate: Double?
    @Option(help: "Noise multiplier σ (≥ 0).") var noise: Double?
    @Option(help: "Number of steps.") var steps: Int?
    @Option(help: "A history instead: segments q:σ:steps joined by ';' (e.g. \"0.01:1.0:500;0.01:2.0:500\").")
    var segments: String?
    @Option(help: "δ (0 < δ < 1).") var delta: Double
    @Option(help: "The accountant: \(AccountantKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var accountant: AccountantKind = .rdp
    @Flag(help: "Print one JSON object.") var json = false

    func history() throws -> [PrivacySegment] {
        do {
            if let segments {
                guard sampleRate == nil, noise == nil, steps == nil else {
                    throw ValidationError("give either --segments or --sample-rate, --noise and --steps, not both")
                }
                return try PrivacySegment.parseHistory(segments)
            }
            guard let sampleRate, let noise, let steps else {
                throw ValidationError("give --sample-rate, --noise and --steps (or --segments)")
            }
            return [try PrivacySegment(sampleRate: sampleRate, noiseMultiplier: noise, steps: steps)]
        } catch let error as PrivacyError {
            throw ValidationError(error.description)
        }
    }

    func validate() throws {
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
        _ = try history()
    }

    func run() throws {
        let segments = try history()
        let (epsilon, order) = accountant.epsilon(of: segments, delta: delta)
        let names = segments.map(\.description)
        if json {
            var object: [String: Any] = ["epsilon": epsilon, "delta": delta, "accountant": accountant.rawValue,
                                         "segments": names]
            if let order { object["order"] = order }
            try printJSON(object)
        } else {
            let how = order.map { String(format: "%@, best order %g", accountant.rawValue.uppercased(), $0) }
                ?? accountant.rawValue.uppercased()
            print(String(format: "ε = %.6f at δ = %g (%@) after %@", epsilon, delta, how, names.joined(separator: ";")))
        }
    }
}

/// `fedtop privacy noise`: the σ that meets a target ε.
struct NoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise", abstract: "The smallest noise multiplier σ that keeps ε within a target.")

    @Option(help: "Target ε (> 0).") var targetEpsilon: Double
    @Option(help: "Sampling rate q (0 < q ≤ 1).") var sampleRate: Double
    @Option(help: "Number of steps.") var steps: Int
    @Option(help: "δ (0 < δ < 1).") var delta: Double
    @Option(help: "The accountant: \(AccountantKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var accountant: AccountantKind = .rdp
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard targetEpsilon > 0, targetEpsilon.isFinite else { throw ValidationError("--target-epsilon must be positive, got \(targetEpsilon)") }
        guard sampleRate > 0, sampleRate <= 1 else { throw ValidationError("--sample-rate must be in (0, 1], got \(sampleRate)") }
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
    }

    func run() throws {
        let kind = accountant
        let epsilon = { (sigma: Double) -> Double in
            kind.epsilon(of: [try! PrivacySegment(sampleRate: sampleRate, noiseMultiplier: sigma, steps: steps)], delta: delta).epsilon
        }
        guard let sigma = Calibration.smallestNoise(targetEpsilon: targetEpsilon, epsilon: epsilon) else {
            throw ValidationError("no noise multiplier up to 10000 reaches ε = \(targetEpsilon)")
        }
        let reached = epsilon(sigma)
        if json {
            try printJSON(["noise_multiplier": sigma, "epsilon": reached, "target_epsilon": targetEpsilon,
                           "delta": delta, "accountant": accountant.rawValue])
        } else {
            print(String(format: "σ = %.4f gives ε = %.6f ≤ %g at δ = %g (%@, q %g, %d steps)", sigma, reached,
                         targetEpsilon, delta, accountant.rawValue.uppercased(), sampleRate, steps))
        }
    }
}

func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
