import Foundation
import Privacy

/// The console's privacy projection from the real accountants: each hospital's ledger (its spent RDP
/// history; a remote hospital's as it reported it, plus every spend since) and the federation's
/// ledger under client-level DP, composed with the planned rounds at a given σ exactly as the run
/// will spend them (RDP, `Calibration`).
///
/// Errs on the private side: each party pays for every planned round its ledger does not hold yet
/// (every remaining round is assumed to select every hospital), and a setting the accountant
/// refuses (σ = 0) projects ε = ∞ with no rounds left.
public struct LedgerProjection: PrivacyProjection {
    public let hospitals: [any SampleLevelAccounting]
    public let batchSize: Int
    public let localEpochs: Int
    public let delta: Double
    public let budget: Double
    public let privacy: PrivacyMode
    /// Client-level DP: the federation's ledger file, its hospital sample rate q and the z the run started with.
    public let federationLedgerPath: String?
    public let clientSampleRate: Double?
    public let initialClientNoise: Double?
    /// Under secure aggregation, client-level DP's distributed Skellam noise at z = 1 (its sensitivities
    /// and contributors): the federation's rounds are projected on the Skellam accountant, as they are paid.
    public var distributedNoise: DistributedSkellam?

    public init(hospitals: [any SampleLevelAccounting], batchSize: Int, localEpochs: Int, delta: Double, budget: Double,
                privacy: PrivacyMode, federationLedgerPath: String?, clientSampleRate: Double?, initialClientNoise: Double?,
                distributedNoise: DistributedSkellam? = nil) {
        self.hospitals = hospitals
        self.batchSize = batchSize
        self.localEpochs = localEpochs
        self.delta = delta
        self.budget = budget
        self.privacy = privacy
        self.federationLedgerPath = federationLedgerPath
        self.clientSampleRate = clientSampleRate
        self.initialClientNoise = initialClientNoise
        self.distributedNoise = distributedNoise
    }

    public func forecast(noiseMultiplier sigma: Double, clipNorm: Double, completedRound: Int, plannedRounds: Int) -> PrivacyForecast? {
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
            if let noise = distributedNoise {
                considerSkellam(history: history, q: q, z: z, noise: noise)
            } else {
                consider("federation", history: history, q: q, noise: z, stepsPerRound: 1)
            }
        }
        /// The federation's rounds under distributed Skellam noise (secure aggregation).
        func considerSkellam(history: RDPAccountant, q: Double, z: Double, noise: DistributedSkellam) {
            let paid = history.segments.reduce(0) { $0 + $1.steps } + history.skellamSegments.reduce(0) { $0 + $1.steps }
            let remaining = max(0, plannedRounds - paid)
            let variance = (z * noise.l2Sensitivity) * (z * noise.l2Sensitivity)
            do {
                let planned = try SkellamSegment(sampleRate: q, variance: variance, l1Sensitivity: noise.l1Sensitivity,
                                                 l2Sensitivity: noise.l2Sensitivity, steps: max(1, remaining))
                let final = remaining == 0 ? history.epsilon(delta: delta).epsilon
                    : try Calibration.projectedEpsilon(spent: history, adding: planned, delta: delta)
                let fits = try Calibration.roundsRemaining(spent: history, sampleRate: q, variance: variance,
                                                           l1Sensitivity: noise.l1Sensitivity, l2Sensitivity: noise.l2Sensitivity,
                                                           budget: budget, delta: delta, limit: max(1, remaining))
                if final > worst || party == nil { worst = final; party = "federation" }
                roundsLeft = min(roundsLeft, fits)
            } catch {
                worst = .infinity
                party = "federation"
                roundsLeft = 0
            }
        }
        return PrivacyForecast(finalEpsilon: worst, budget: budget, roundsLeft: roundsLeft, limitingParty: party)
    }

    /// The federation ledger's spends and the last noise multiplier spent, read without opening it
    /// for writing (the engine owns it) and unverified (display only: the engine enforces the budget from the
    /// sealed ledger). A ledger that cannot be read yet counts as nothing spent,
    /// which the projection then charges for every planned round.
    static func readLedger(_ path: String?) -> (RDPAccountant, Double?) {
        guard let path, let contents = try? PrivacyLedger.read(path: path, seal: nil) else { return (RDPAccountant(), nil) }
        return (contents.accountant, contents.lastNoiseMultiplier)
    }
}
