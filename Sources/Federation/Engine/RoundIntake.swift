import Foundation
import TensorCore

/// How the aggregator takes a round's updates in the clear: each is decided as soon as the updates
/// before it in the federation's order have been, and an accepted one is folded into the aggregate
/// (``UpdateFold``) and let go. The round holds the updates in flight, not one per hospital.
///
/// Contract:
/// - Decisions are made in the federation's order (the order of the selected hospitals), whatever
///   order the answers arrive in, so a seeded run aggregates the same way every time; an answer that
///   arrives before an earlier hospital's waits (the hospitals train in order, so few wait).
/// - Each answer: a failure is a drop (a budget refusal marks the hospital exhausted); an update
///   that names another hospital, or fails validation (``UpdateValidator``), is rejected; a valid
///   one is then judged against the outlier bound (``UpdateNormBound``): the model's own bound, and
///   ``UpdateNormBound/relativeFactor`` × the lower median of the norms of the round's valid updates
///   decided so far. The first ``warmUp`` valid updates wait until there are that many (or the round
///   ends) and are judged together, so a round of up to ``warmUp`` updates is judged against its own
///   median exactly as a whole; in a larger round each later update is judged against the updates
///   before it.
/// - A strategy without a fold (median, trimmed mean, Krum), or a round of at most
///   ``Engine/influenceLimit`` hospitals (whose leave-one-out influence may be measured), keeps the
///   accepted updates whole: they need every update at once. Combining them is the same fold.
/// - Answers are decided on the engine's queue while the hospitals train, so the `training` phase's
///   wall time includes validating and folding them.
struct RoundIntake {
    /// Valid updates judged together at the start of a round (``Engine/influenceLimit`` as well).
    static let warmUp = 32

    let order: [Int]
    private var position = 0
    private var waiting: [Int: Result<HospitalUpdate, HospitalError>] = [:]
    private var warming: [(index: Int, update: HospitalUpdate, norm: Double)] = []
    private var warmedUp = false
    /// The valid updates' norms so far, sorted.
    private var norms: [Double] = []
    private let modelBound: Double

    /// The fold of accepted updates, or nil when they are kept whole in ``kept``.
    private(set) var fold: UpdateFold?
    private(set) var kept: [ClientUpdate] = []
    private(set) var acceptedIndices: [Int] = []
    private(set) var rejected = 0
    /// Answers that were updates (valid or not).
    private(set) var delivered = 0
    private var lossSum = 0.0, recordSum = 0.0
    private(set) var trainingSeconds = 0.0

    init(order: [Int], fold: UpdateFold?, globalNorm: Double) {
        self.order = order
        self.fold = fold
        modelBound = UpdateNormBound.model(globalNorm: globalNorm)
    }

    var acceptedCount: Int { acceptedIndices.count }
    /// The record-weighted train loss of the accepted updates.
    var trainLoss: Double { lossSum / max(recordSum, 1) }

    /// What the intake needs from the engine to decide.
    struct Judge {
        /// The problem with `update` from hospital `index`, or nil (name, validation).
        /// Why the update must not be aggregated (nil: it may), and its norm if that was computed.
        var problem: (_ index: Int, _ update: HospitalUpdate) -> (problem: String?, norm: Double?)
        /// Tells the operator (the engine's events) what was decided.
        var accepted: (_ index: Int, _ update: HospitalUpdate) -> Void
        var rejected: (_ index: Int, _ reason: String) -> Void
        var failed: (_ index: Int, _ error: HospitalError) -> Void
        var missed: (_ index: Int) -> Void
    }

    /// Takes an answer; decides every answer whose turn has come.
    mutating func receive(_ index: Int, _ result: Result<HospitalUpdate, HospitalError>, judge: Judge) {
        waiting[index] = result
        while position < order.count, let next = waiting.removeValue(forKey: order[position]) {
            decide(order[position], next, judge: judge)
            position += 1
        }
    }

    /// The round's collection is over: decides what arrived, reports the rest as missed, and judges
    /// the warm-up if it never filled.
    mutating func finish(judge: Judge) {
        while position < order.count {
            let i = order[position]
            if let result = waiting.removeValue(forKey: i) { decide(i, result, judge: judge) } else { judge.missed(i) }
            position += 1
        }
        settleWarmUp(judge: judge)
    }

    private mutating func decide(_ index: Int, _ result: Result<HospitalUpdate, HospitalError>, judge: Judge) {
        switch result {
        case .failure(let error):
            judge.failed(index, error)
        case .success(let update):
            delivered += 1
            let (problem, knownNorm) = judge.problem(index, update)
            if let problem {
                judge.rejected(index, problem)
                rejected += 1
                return
            }
            let norm = knownNorm ?? update.delta.norm()
            norms.insert(norm, at: norms.partitioningIndex { $0 >= norm })
            if warmedUp {
                verdict(index, update, norm, judge: judge)
            } else {
                warming.append((index, update, norm))
                if warming.count >= Self.warmUp { settleWarmUp(judge: judge) }
            }
        }
    }

    private mutating func settleWarmUp(judge: Judge) {
        guard !warmedUp else { return }
        warmedUp = true
        let held = warming
        warming = []
        for (index, update, norm) in held { verdict(index, update, norm, judge: judge) }
    }

    /// The outlier bound now: the model's, and 10× the lower median of the norms so far (two or more).
    private var bound: Double {
        let relative = norms.count >= 2 ? UpdateNormBound.relativeFactor * norms[(norms.count - 1) / 2] : .infinity
        return min(relative, modelBound)
    }

    private mutating func verdict(_ index: Int, _ update: HospitalUpdate, _ norm: Double, judge: Judge) {
        let limit = bound
        guard norm <= limit else {
            judge.rejected(index, "update norm \(String(format: "%.4g", norm)) is an outlier: above \(String(format: "%.4g", limit)) "
                           + "(\(Int(UpdateNormBound.relativeFactor))× the round's median, or \(Int(UpdateNormBound.modelFactor))× "
                           + "the model's norm)")
            rejected += 1
            return
        }
        judge.accepted(index, update)
        acceptedIndices.append(index)
        lossSum += update.trainLoss * Double(update.sampleCount)
        recordSum += Double(update.sampleCount)
        trainingSeconds = max(trainingSeconds, update.seconds)
        let client = ClientUpdate(hospital: update.hospital, delta: update.delta, sampleCount: update.sampleCount, norm: norm)
        if fold != nil { fold!.add(client) } else { kept.append(client) }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs` (the array is partitioned by it).
    func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
