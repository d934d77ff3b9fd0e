import Foundation
import Privacy

/// What client-level DP (DP-FedAvg; McMahan, Ramage, Talwar & Zhang 2018) means for a federation
/// before it runs, and whether the model can learn under it.
///
/// The noised mean update is (Σ clip(Δᵢ, S) + N(0, z²S²·I)) / (q·n): every coordinate carries noise of
/// standard deviation z·S/(q·n), while a clipped update of norm at most S spreads over d coordinates,
/// S/√d each on average. The ratio of the noise's norm to the largest possible signal's is therefore
/// ρ = z·√d/(q·n). Averaging over rounds and the optimiser's momentum tolerate a ρ of a few (the
/// paper's language models ran near ρ ≈ 0.2 with thousands of users per round); at ρ above
/// ``maxNoiseToSignal`` each round adds a random step an order of magnitude longer than anything the
/// hospitals can contribute, and the model only drifts (three lesion hospitals at ε = 3 over 3 rounds:
/// ρ ≈ 73; eval loss 5,522 after one round).
///
/// Contract: ``refusal`` is nil for a federation that can learn and within budget; otherwise one
/// message with the numbers (z, S, q·n, d, ρ, the rounds the budget allows) and what to change: more
/// hospitals (the n at which ρ falls to the limit), sample-level DP, a larger budget. A run whose
/// first round alone would exceed the federation's budget is refused for that reason, not as "spent".
public struct ClientNoiseFeasibility: Sendable {
    /// The largest noise-to-signal ratio ρ a run may start with.
    public static let maxNoiseToSignal = 10.0

    public var noiseMultiplier: Double
    public var clipNorm: Double
    public var sampleRate: Double
    public var hospitals: Int
    public var parameters: Int
    public var rounds: Int
    public var budget: Double
    public var delta: Double
    /// What the federation's ledger already holds.
    public var spent: RDPAccountant
    /// Whether rounds are paid on the Gaussian RDP accountant (false under distributed Skellam noise,
    /// whose rounds the engine prices itself; only ρ is checked then).
    public var gaussianRounds = true

    public init(noiseMultiplier: Double, clipNorm: Double, sampleRate: Double, hospitals: Int, parameters: Int, rounds: Int,
                budget: Double, delta: Double, spent: RDPAccountant) {
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.sampleRate = sampleRate
        self.hospitals = hospitals
        self.parameters = parameters
        self.rounds = rounds
        self.budget = budget
        self.delta = delta
        self.spent = spent
    }

    /// q·n, the expected participants per round (the divisor of the noised sum).
    public var expectedParticipants: Double { sampleRate * Double(hospitals) }
    /// The noise's standard deviation on each coordinate of the mean update, z·S/(q·n).
    public var coordinateNoise: Double { noiseMultiplier * clipNorm / expectedParticipants }
    /// ρ = z·√d/(q·n): the noise's norm over the largest clipped update's (S).
    public var noiseToSignal: Double { noiseMultiplier * Double(parameters).squareRoot() / expectedParticipants }

    /// ε after the spent history and one more round.
    public var firstRoundEpsilon: Double {
        (try? Calibration.projectedEpsilon(spent: spent, sampleRate: sampleRate, noiseMultiplier: noiseMultiplier,
                                           steps: 1, delta: delta)) ?? .infinity
    }

    /// Rounds at (q, z) the budget allows from here.
    public var roundsAllowed: Int {
        (try? Calibration.stepsRemaining(spent: spent, sampleRate: sampleRate, noiseMultiplier: noiseMultiplier,
                                         budget: budget, delta: delta, limit: 1_000_000)) ?? 0
    }

    /// Why the run must not start, or nil.
    public var refusal: String? {
        let z = Self.format(noiseMultiplier)
        let first = gaussianRounds ? firstRoundEpsilon : 0
        if first > budget {
            let needed = (try? Calibration.noiseMultiplier(targetEpsilon: budget, sampleRate: sampleRate, steps: 1, delta: delta,
                                                           spent: spent)).flatMap { $0 }
            var text = "client-level DP: one round at z \(z) (q \(Self.format(sampleRate))) costs the federation ε "
                + "\(Self.format(first)) at δ \(delta), above its budget ε \(Self.format(budget))"
            if spent.segments.count + spent.skellamSegments.count > 0 { text += " with what it has spent already" }
            text += "; " + (needed.map { "raise --client-noise to at least \(Self.format($0)) for one round, " } ?? "")
                + "raise --epsilon, or leave --client-noise out to calibrate z to the planned rounds"
            return text
        }
        let rho = noiseToSignal
        guard rho > Self.maxNoiseToSignal else { return nil }
        let hospitalsNeeded = Int((noiseMultiplier * Double(parameters).squareRoot() / (Self.maxNoiseToSignal * sampleRate)).rounded(.up))
        let allowed = gaussianRounds ? "allows \(roundsAllowed) round(s)" : "is spent by the Skellam accountant"
        return "client-level DP cannot learn here: the noise on each coordinate of the mean update is z·S/(q·n) = "
            + "\(z)·\(Self.format(clipNorm))/\(Self.format(expectedParticipants)) = \(Self.format(coordinateNoise)), against "
            + "S/√d = \(Self.format(clipNorm / Double(parameters).squareRoot())) for a clipped update spread over the model's "
            + "\(parameters) parameters: the noise is \(Self.format(rho))× the largest possible signal (at most "
            + "\(Int(Self.maxNoiseToSignal))×). The budget ε \(Self.format(budget)) \(allowed) at z \(z). "
            + "Use about \(hospitalsNeeded) hospitals or more (--hospitals; now \(hospitals)), sample-level DP "
            + "(--dp sample), a larger budget (--epsilon), or a smaller model"
    }

    static func format(_ x: Double) -> String {
        if x.isInfinite { return "∞" }
        return String(format: x.magnitude >= 1000 ? "%.0f" : "%.3g", x)
    }
}
