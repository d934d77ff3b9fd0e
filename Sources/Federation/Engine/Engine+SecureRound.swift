import Dispatch
import Foundation
import Privacy
import SecureAggregation
import TensorCore

extension Engine {
    /// Steps 2–6 through secure aggregation (Bonawitz et al. 2017; SecAgg+ above
    /// ``SecureAggregationSettings/sparseFrom`` hospitals): the selected hospitals get ids by a uniformly
    /// random permutation, train and advertise keys, share keys, send masked inputs and unmask; the
    /// engine holds only the sum of the masked-input survivors' encoded updates, decodes it and hands the
    /// mean to the strategy's server step. Below the threshold at any phase, or below the quorum before
    /// unmasking, the round aborts: no unmasking request goes out, no aggregate, the model unchanged.
    func secureCollection(selected: [Int], global: Tensor, settings: RoundSettings,
                          secure: SecureAggregationSettings) -> Result<Collected, RoundStop> {
        let r = settings.round
        let order = selected.shuffled()  // the random node ids of SecAgg+ (SystemRandomNumberGenerator)
        let indexOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { (UInt32($0.offset + 1), $0.element) })
        func index(_ id: UInt32) -> Int { indexOf[id]! }
        let graph = secure.graph(for: order.count)
        let parameters: SecAggParameters
        let encoding: SecureEncoding
        do {
            parameters = try SecAggParameters(runID: sessionRunID, round: r, graph: graph,
                                              threshold: SecAggParameters.defaultThreshold(for: graph),
                                              vectorLength: SecureEncoding.vectorLength(parameters: global.count))
            encoding = try secureEncoding(secure)
        } catch {
            publish(.roundFailed(reason: "\(error)"))
            return .failure(.init(.failed))
        }
        let ids = parameters.participants
        var status = SecureAggregationStatus(stage: .advertise, selected: order.count, threshold: parameters.threshold,
                                             graph: graph.isComplete ? "complete" : "harary k=\(graph.degree)", counts: [])
        var server = SecAggServer(parameters: parameters)
        func report(_ stage: SecureAggregationStatus.Stage, detail: String? = nil) {
            status.stage = stage
            status.detail = detail
            publish(.secureAggregation(status))
        }
        func abort(_ error: SecAggError) -> Result<Collected, RoundStop> {
            report(.aborted, detail: error.description)
            publish(.roundFailed(reason: error.description))
            return .failure(.init(.failed))
        }
        let hospitals = self.hospitals
        // Every hospital conforms (checked when the engine was made).
        let seats = indexOf.compactMapValues { hospitals[$0] as? any SecureAggregationHospital }

        // Round 0: train, then advertise keys (one call).
        enter(.broadcasting)
        report(.advertise)
        enter(.training(reported: 0, selected: ids.count))
        let bus = self.bus, started = startInstant
        let trained = fanOut(ids, indexOf: index, timeout: configuration.deadline, phase: "secure training",
                             onAnswer: { [self] k in enter(.training(reported: k, selected: ids.count)) }) { id throws(HospitalError) in
            guard let h = seats[id] else { throw .secureAggregation(hospital: "\(id)", reason: "cannot take part in secure aggregation") }
            let name = h.name
            let plan = SecureRoundPlan(parameters: parameters, participant: id, encoding: encoding)
            return try h.trainSecurely(globalModel: global, settings: settings, plan: plan) { p in
                bus.publish(round: r, kind: .progress(hospital: name, stepsDone: p.stepsDone, stepsTotal: p.stepsTotal), since: started)
            }
        }
        enter(.collecting)
        var keys: [AdvertisedKeys] = []
        var receipts: [UInt32: SecureTrainingReceipt] = [:]
        for id in ids {
            let name = hospitals[index(id)].name
            guard let receipt = trained[id] else { continue }
            if let e = receipt.epsilonSpent { hospitalEpsilon[name] = e }
            guard receipt.hospital == name, receipt.round == r, receipt.keys.participant == id else {
                publish(.updateRejected(hospital: name, reason: "secure-training receipt for another hospital, round or id"))
                continue
            }
            publish(.updateReceived(hospital: name, trainLoss: receipt.trainLoss, clippedFraction: receipt.clippedFraction,
                                    epsilon: receipt.epsilonSpent, seconds: receipt.seconds))
            if receipt.clippedCoordinates > 0 {
                publish(.warning("\(name): \(receipt.clippedCoordinates) coordinate(s) clipped to the secure-aggregation range ±\(secure.clipRange)"))
            }
            receipts[id] = receipt
            keys.append(receipt.keys)
        }
        let roster: [AdvertisedKeys]
        do { roster = try server.closeAdvertisement(keys) } catch { return abort(error) }

        // Round 1: share keys.
        status.counts = [server.advertised.count]
        report(.share)
        let rosterIDs = roster.map(\.participant)
        let sent = fanOut(rosterIDs, indexOf: index, timeout: secure.phaseTimeout, phase: "key sharing") { id throws(HospitalError) in
            try seats[id]!.shareKeys(round: r, roster: roster)
        }
        let routed: [UInt32: [EncryptedShare]]
        do { routed = try server.closeSharing(sent) } catch { return abort(error) }

        // Round 2: masked input.
        status.counts = [server.advertised.count, server.shared.count]
        report(.masked)
        let maskedIDs = routed.keys.sorted()
        let inputs = fanOut(maskedIDs, indexOf: index, timeout: secure.phaseTimeout, phase: "masked input") { id throws(HospitalError) in
            try seats[id]!.maskedInput(round: r, shares: routed[id]!)
        }
        let request: UnmaskingRequest
        do { request = try server.closeMasking(maskedIDs.compactMap { inputs[$0] }) } catch { return abort(error) }
        // Below the quorum (under distributed noise, below the contributors its noise was shared by) no
        // unmasking request goes out.
        var needed = configuration.quorum
        if let dp = strategy.clientPrivacy, let noise = try? distributedNoise(dp) { needed = max(needed, noise.contributors) }
        guard request.survivors.count >= needed else {
            return abort(.belowThreshold(phase: .maskedInput, have: request.survivors.count, need: needed))
        }

        // Client-level DP: the federation pays before any unmasking request goes out (write-ahead: the
        // sum, which carries the hospitals' noise, exists only after it).
        var federationEpsilon: Double?
        var divisor: Double?
        if let dp = strategy.clientPrivacy, let ledger = federationLedger {
            do {
                guard let noise = try distributedNoise(dp) else { throw SecAggError.invalidConfiguration("no distributed noise") }
                try ledger.record(try noise.roundSpend, round: r)
                federationEpsilon = ledger.spentEpsilon
                divisor = dp.mechanism.expectedParticipants
            } catch let error as LedgerError {
                report(.aborted, detail: "federation ledger: \(error)")
                if case .budgetExceeded(_, let spent, _, let budget) = error {
                    publish(.federationBudgetExhausted(spent: spent, budget: budget))
                    return .failure(.init(.budgetExhausted))
                }
                publish(.roundFailed(reason: "federation ledger not written, no unmasking: \(error)"))
                return .failure(.init(.failed))
            } catch {
                return abort(.invalidConfiguration("client-level DP: \(error)"))
            }
        }

        // Round 4: unmasking.
        status.counts = [server.advertised.count, server.shared.count, server.masked.count]
        report(.unmask)
        let responses = fanOut(request.survivors, indexOf: index, timeout: secure.phaseTimeout, phase: "unmasking") { id throws(HospitalError) in
            try seats[id]!.unmask(round: r, request: request)
        }
        enter(.aggregating)
        let aggregationStarted = ContinuousClock.now
        let sum: [UInt32]
        do { sum = try server.finish(request.survivors.compactMap { responses[$0] }) } catch { return abort(error) }
        status.counts = [server.advertised.count, server.shared.count, server.masked.count, server.unmasked.count]
        let lost = order.count - server.masked.count
        report(.done, detail: lost > 0 ? "\(lost) dropped, \(request.dropped.count) recovered after sharing keys" : nil)

        let (aggregate, _) = encoding.decode(sum: sum, divisor: divisor)
        let survivors = request.survivors.map(index).sorted()
        let delivered = request.survivors.compactMap { receipts[$0] }
        let trainLoss = delivered.map(\.trainLoss).reduce(0, +) / Double(max(delivered.count, 1))
        return .success(Collected(aggregate: aggregate, indices: survivors, trainLoss: trainLoss,
                                  trainingSeconds: delivered.map(\.seconds).max() ?? 0, federationEpsilon: federationEpsilon,
                                  aggregationStarted: aggregationStarted, delivered: server.masked.count))
    }

    /// The encoding every hospital uses this round: the settings' range and bits, FedAvg's sample-count
    /// weights capped at the largest hospital, client-side norm bounding when the run bounds norms.
    ///
    /// Under client-level DP: equal weights, every update clipped to S, the range c = S, and each
    /// hospital's share of the Skellam noise (``DistributedSkellam``).
    func secureEncoding(_ secure: SecureAggregationSettings) throws(SecAggError) -> SecureEncoding {
        var bound = configuration.maxUpdateNorm
        if let nb = strategy as? NormBounding { bound = min(bound ?? nb.maxNorm, nb.maxNorm) }
        let encoding: SecureEncoding
        if let dp = strategy.clientPrivacy, let noise = try distributedNoise(dp) {
            encoding = SecureEncoding(quantizer: noise.quantizer, weightCap: nil, l2Clip: min(bound ?? noise.clipNorm, noise.clipNorm),
                                      noiseVariance: noise.perHospitalVariance)
        } else {
            encoding = SecureEncoding(quantizer: try Quantizer(clipRange: secure.clipRange, bits: secure.bits),
                                      weightCap: secureWeightCap, l2Clip: bound)
        }
        try encoding.checkNoWrap(participants: hospitals.count)
        return encoding
    }

    /// Client-level DP's distributed noise this round, when secure aggregation is on.
    func distributedNoise(_ dp: ClientPrivacy) throws(SecAggError) -> DistributedSkellam? {
        guard let secure = configuration.secureAggregation else { return nil }
        return try DistributedSkellam(dp, bits: secure.bits, parameters: model.parameterCount, quorum: configuration.quorum)
    }

    /// Calls `body` for each id on the workers queue; waits until all answer or `timeout` passes; a
    /// hospital that fails or misses the timeout is dropped (with its reason) from the rest of the round.
    func fanOut<T: Sendable>(_ ids: [UInt32], indexOf: (UInt32) -> Int, timeout: Double?, phase: String,
                             onAnswer: (Int) -> Void = { _ in },
                             _ body: @escaping @Sendable (UInt32) throws(HospitalError) -> T) -> [UInt32: T] {
        let box = PhaseBox<UInt32, T>()
        let indices = ids.map(indexOf)
        inbox.withLock { inFlight.formUnion(indices) }
        for (id, i) in zip(ids, indices) {
            workers.async { [self] in
                let result = Result { () throws(HospitalError) -> T in try body(id) }
                inbox.withLock { _ = inFlight.remove(i) }
                box.deliver(id, result)
            }
        }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        var seen = 0
        while true {
            let (count, expired) = box.wait(beyond: seen, of: ids.count, until: deadline)
            if count > seen { seen = count; onAnswer(count) }
            if expired || count == ids.count { break }
        }
        let answers = box.close()
        var out: [UInt32: T] = [:]
        for (id, i) in zip(ids, indices) {
            let name = hospitals[i].name
            switch answers[id] {
            case .success(let v)?: out[id] = v
            case .failure(let error)?:
                if case let .budgetExhausted(_, spent, _, budget) = error {
                    exhausted.insert(i)
                    hospitalEpsilon[name] = spent
                    publish(.hospitalBudgetExhausted(hospital: name, spent: spent, budget: budget))
                }
                publish(.hospitalDropped(hospital: name, reason: "\(phase): \(error.description)"))
            case nil:
                publish(.hospitalDropped(hospital: name, reason: String(format: "\(phase): missed the %.0f s deadline", timeout ?? 0)))
            }
        }
        return out
    }
}

/// Answers of one phase (training, or a secure-aggregation step) arriving from worker threads, by
/// hospital; answers after ``close()`` (past the deadline) are discarded.
final class PhaseBox<Key: Hashable & Sendable, T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var answers: [Key: Result<T, HospitalError>] = [:]
    /// Answers delivered so far, taken or not.
    private var delivered = 0
    private var closed = false

    func deliver(_ id: Key, _ result: Result<T, HospitalError>) {
        condition.withLock {
            guard !closed else { return }
            answers[id] = result
            delivered += 1
            condition.broadcast()
        }
    }

    /// Waits until more than `seen` answers are in (or all `n`, or the deadline); returns the count
    /// and whether the deadline passed.
    func wait(beyond seen: Int, of n: Int, until deadline: Date?) -> (Int, Bool) {
        condition.withLock {
            while delivered <= seen && delivered < n {
                if let deadline {
                    if !condition.wait(until: deadline) { return (delivered, true) }
                } else {
                    condition.wait()
                }
            }
            return (delivered, false)
        }
    }

    /// The answers delivered since the last take, handed over (the box keeps no reference to them).
    func take() -> [Key: Result<T, HospitalError>] {
        condition.withLock {
            defer { answers.removeAll() }
            return answers
        }
    }

    /// Refuses later deliveries; returns the answers not yet taken.
    func close() -> [Key: Result<T, HospitalError>] {
        condition.withLock {
            closed = true
            defer { answers.removeAll() }
            return answers
        }
    }
}
