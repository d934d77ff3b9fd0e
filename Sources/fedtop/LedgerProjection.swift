import Console
import Federation
import Foundation
import Privacy

/// The console's privacy projection from the real accountants: each local hospital's ledger (its
/// spent RDP history) and the federation's ledger under client-level DP, composed with the planned
/// rounds at a given σ exactly as the run will spend them (RDP, `Calibration`).
///
/// Errs on the private side: each party pays for every planned round its ledger does not hold yet
/// (every remaining round is assumed to select every hospital), and a setting the accountant
/// refuses (σ = 0) projects ε = ∞ with no rounds left.
struct LedgerProjection: PrivacyProjection {
    let hospitals: [LocalHospital]
    let batchSize: Int
    let localEpochs: Int
    let delta: Double
    let budget: Double
    let privacy: PrivacyMode
    /// Client-level DP: the federation's ledger file, its hospital sample rate q and the z the run started with.
    let federationLedgerPath: String?
    let clientSampleRate: Double?
    let initialClientNoise: Double?

    func forecast(noiseMultiplier sigma: Double, clipNorm: Double, completedRound: Int, plannedRounds: Int) -> PrivacyForecast? {
        guard privacy != .off else { return nil }
        var worst = 0.0
        var party: String?
        var roundsLeft = max(0, plannedRounds - completedRound)
        func consider(_ name: String, history: RDPAccountant, q: Double, noise: Double, stepsPerRound: Int) {
            // The rounds this party still pays for: those planned minus those its ledger already holds
            // (a hospital writes its spend before its update leaves, so a round in progress may be paid).
            let paid = history.segments.reduce(0) { $0 + $1.steps } / stepsPerRound
            let remaining = max(0, plannedRounds - paid)
            do {
                let final = try Calibration.projectedEpsilon(spent: history, sampleRate: q, noiseMultiplier: noise,
                                                             steps: max(1, stepsPerRound * remaining), delta: delta)
                let spentNow = history.epsilon(delta: delta).epsilon
                let fits = try Calibration.stepsRemaining(spent: history, sampleRate: q, noiseMultiplier: noise, budget: budget,
                                                          delta: delta, limit: max(1, stepsPerRound * remaining)) / stepsPerRound
                let value = remaining == 0 ? spentNow : final
                if value > worst || party == nil { worst = value; party = name }
                roundsLeft = min(roundsLeft, fits)
            } catch {
                worst = .infinity
                party = name
                roundsLeft = 0
            }
        }
        if privacy.sampleLevel {
            for h in hospitals {
                let (q, steps) = h.roundSampling(batchSize: batchSize, localEpochs: localEpochs)
                consider(h.name, history: h.accountant ?? RDPAccountant(), q: q, noise: sigma, stepsPerRound: steps)
            }
        }
        if privacy.clientLevel, let q = clientSampleRate {
            let (history, lastNoise) = Self.readLedger(federationLedgerPath)
            // Under `--dp client` the σ key moves z; under `both` it moves the hospitals' σ and z stays.
            let z = privacy == .client ? sigma : (lastNoise ?? initialClientNoise ?? sigma)
            consider("federation", history: history, q: q, noise: z, stepsPerRound: 1)
        }
        return PrivacyForecast(finalEpsilon: worst, budget: budget, roundsLeft: roundsLeft, limitingParty: party)
    }

    /// The spend records of a ledger file, read without opening it for writing (the engine owns it),
    /// and the last noise multiplier spent. Every record that parses counts (over-, never under-reporting).
    static func readLedger(_ path: String?) -> (RDPAccountant, Double?) {
        var accountant = RDPAccountant()
        var last: Double?
        guard let path, let data = FileManager.default.contents(atPath: path) else { return (accountant, nil) }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 5, f[0] == "spend", let q = Double(f[1]), let s = Double(f[2]), let t = Int(f[3]),
                  let segment = try? PrivacySegment(sampleRate: q, noiseMultiplier: s, steps: t) else { continue }
            accountant.compose(segment)
            last = s
        }
        return (accountant, last)
    }
}
