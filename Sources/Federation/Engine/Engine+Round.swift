import Dispatch
import Foundation
import Privacy
import TensorCore

extension Engine {
    enum RoundResult { case completed, failed, budgetExhausted, diverged(String) }

    /// One round, on the engine's queue.
    func runRound() -> RoundResult {
        let roundStarted = ContinuousClock.now
        let r = round

        // 1. Selection.
        enter(.selecting)
        let busy = inbox.withLock { inFlight }
        let eligible = hospitals.indices.filter { !dropped.contains($0) && !exhausted.contains($0) }
        if eligible.count < configuration.quorum, exhausted.count > 0 {
            // Not enough hospitals have budget left: the run is over for privacy.
            publish(.warning("only \(eligible.count) hospital(s) have privacy budget left, below the quorum \(configuration.quorum)"))
            return .budgetExhausted
        }
        if let dp = strategy.clientPrivacy, let ledger = federationLedger {
            do {
                let next = try distributedNoise(dp).map { ledger.epsilon(after: try $0.roundSpend) }
                    ?? ledger.epsilon(after: try dp.roundSpend)
                if next > ledger.budget.epsilon {
                    publish(.federationBudgetExhausted(spent: ledger.spentEpsilon, budget: ledger.budget.epsilon))
                    return .budgetExhausted
                }
            } catch {
                publish(.roundFailed(reason: "client-level DP: \(error)"))
                return .failed
            }
        }
        let available = eligible.filter { !busy.contains($0) }
        let selected = HospitalSampler.select(from: available, selection: configuration.selection,
                                              seed: configuration.seed, round: r)
        // Federated dropout: this round's sub-model, kept to map the aggregate back (``FederatedDropout``).
        let full = model.parameters
        var dropout: SubModel?
        if let keep = configuration.federatedDropout {
            do { dropout = try FederatedDropout(keep: keep, seed: configuration.seed).subModel(of: model, round: r) } catch {
                publish(.roundFailed(reason: "federated dropout: \(error)"))
                return .failed
            }
        }
        var settings = roundSettings(round: r)
        settings.subModel = dropout?.mask
        publish(.roundStarted(selected: selected.map { hospitals[$0].name }, settings: settings))
        guard selected.count >= configuration.quorum else {
            publish(.roundFailed(reason: "\(selected.count) hospital(s) selected of \(available.count) available, "
                                 + "below the quorum \(configuration.quorum)"))
            return .failed
        }

        // 2–6. Broadcast, train, collect, validate and combine: in the clear, or through the secure-aggregation
        // phases, after which the aggregator holds only the sum.
        let global = dropout?.model.parameters ?? full
        // What the server keeps besides the model (FedOpt's moments, an adaptive clip norm), to put back with the
        // model if the round diverges. (The noise generators are not part of it: they never repeat.)
        let serverBefore = strategy.serverState
        let outcome = configuration.secureAggregation.map {
            secureCollection(selected: selected, global: global, settings: settings, secure: $0)
        } ?? plainCollection(selected: selected, global: global, settings: settings)
        let collected: Collected
        switch outcome {
        case .success(let c): collected = c
        case .failure(let stop): return stop.result
        }
        let aggregate = collected.aggregate
        let acceptedIndices = collected.indices
        let federationEpsilon = collected.federationEpsilon
        let aggregationStarted = collected.aggregationStarted
        var parameters = full
        if let dropout {
            strategy.apply(aggregate, to: &parameters, subModel: dropout)
        } else {
            strategy.apply(aggregate, to: &parameters)
        }
        guard parameters.isFinite else {
            try? strategy.restoreServerState(serverBefore)
            publish(.roundFailed(reason: "the aggregate is not finite; the global model is unchanged"))
            return .failed
        }
        model.parameters = parameters
        let aggregationSeconds = aggregationStarted.duration(to: .now) / .seconds(1)

        // 7. Evaluate on each selected hospital that delivered, and on the central hold-out.
        enter(.evaluating)
        let evaluation = evaluate(on: acceptedIndices, parameters: parameters)
        let central = centralTest.map { ModelEvaluation.evaluate(model, features: $0.features, labels: $0.labels) }
        if let reason = divergence.verdict(trainLoss: collected.trainLoss, evalLoss: evaluation?.loss ?? central?.loss) {
            model.parameters = full
            try? strategy.restoreServerState(serverBefore)
            publish(.roundFailed(reason: "diverged: \(reason); the global model is back to round \(r - 1)'s"))
            return .diverged(reason)
        }

        // 8. Checkpoint: handed to the background writer (durable before the run holds or ends).
        if let checkpoints {
            enter(.checkpointing)
            checkpoints.submit(.init(model: model, round: r, serverState: strategy.serverState,
                                     metadata: (configuration.provenance?.metadata ?? [:]).merging(["fedtop.strategy": strategy.name]) { $1 }))
        }

        // 9. Done.
        var sigma: Double?, clip: Double?
        if configuration.privacy.sampleLevel {
            sigma = configuration.noiseMultiplier
            clip = configuration.clipNorm
        } else if let dp = strategy.clientPrivacy {
            sigma = dp.mechanism.noiseMultiplier
            clip = dp.mechanism.clipNorm
        }
        let summary = RoundSummary(
            round: r, selected: selected.count, aggregated: acceptedIndices.count, trainLoss: collected.trainLoss, evaluation: evaluation,
            centralEvaluation: central, hospitalEpsilon: hospitalEpsilon, federationEpsilon: federationEpsilon,
            noiseMultiplier: sigma, clipNorm: clip, seconds: roundStarted.duration(to: .now) / .seconds(1),
            trainingSeconds: collected.trainingSeconds, aggregationSeconds: aggregationSeconds, rejected: collected.rejected,
            communication: RoundCommunication(parameters: global.count, fullParameters: full.count, selected: selected.count,
                                              delivered: collected.delivered))
        publish(.roundCompleted(summary))
        // The live audit of this round's model, beside the next round (its snapshot follows this round's completion).
        audits?.submit(model: model, round: r)
        return .completed
    }

    /// Most updates a round measures leave-one-out influence on (it costs one aggregation per update).
    static let influenceLimit = 32

    /// What collection hands to the server step: the combined update and who is in it.
    struct Collected {
        var aggregate: Tensor
        var indices: [Int]
        var trainLoss: Double
        var trainingSeconds: Double
        var federationEpsilon: Double?
        var aggregationStarted: ContinuousClock.Instant
        /// Updates refused by validation this round.
        var rejected = 0
        /// Updates that reached the aggregator this round (accepted or refused).
        var delivered = 0
    }

    /// Why a round stopped before its server step.
    struct RoundStop: Error {
        var result: RoundResult
        init(_ result: RoundResult) { self.result = result }
    }

    /// Steps 2–6 in the clear: every selected hospital's update reaches the aggregator and is decided
    /// and folded into the aggregate as it arrives (``RoundIntake``); the strategy finishes the
    /// aggregate (client-level DP wraps it, and the federation pays first).
    private func plainCollection(selected: [Int], global: Tensor, settings: RoundSettings) -> Result<Collected, RoundStop> {
        // 2–4. Broadcast, train, collect until all answer or the deadline, deciding each answer in the federation's order.
        let r = settings.round
        // A round small enough to measure leave-one-out influence keeps its updates whole (combining them is the same
        // fold, in the same order, and measured faster than folding as they arrive); a larger one folds them as they arrive.
        let small = selected.count <= Self.influenceLimit
        let fold = small ? nil : strategy.foldRule.map { UpdateFold(rule: $0, parameters: global.count) }
        var intake = RoundIntake(order: selected, fold: fold, globalNorm: global.norm())
        var validator = self.validator
        validator.parameterCount = global.count
        let judge = intakeJudge(round: r, settings: settings, validator: validator)
        enter(.broadcasting)
        collect(selected: selected, global: global, settings: settings) { index, result in
            intake.receive(index, result, judge: judge)
        }
        enter(.collecting)
        intake.finish(judge: judge)
        if intake.delivered >= max(2, configuration.quorum),
           let reason = DivergenceGuard.allRejected(answered: intake.delivered, rejected: intake.rejected) {
            publish(.roundFailed(reason: "diverged: \(reason); the global model is unchanged"))
            return .failure(.init(.diverged(reason)))
        }
        guard intake.acceptedCount >= configuration.quorum else {
            publish(.roundFailed(reason: "\(intake.acceptedCount) valid update(s), below the quorum \(configuration.quorum); "
                                 + "no aggregate, the global model is unchanged"))
            return .failure(.init(.failed))
        }

        // 5–6. Aggregate (the federation pays first under client-level DP).
        enter(.aggregating)
        let aggregationStarted = ContinuousClock.now
        var federationEpsilon: Double?
        if let dp = strategy.clientPrivacy, let ledger = federationLedger {
            do {
                try ledger.record(try dp.roundSpend, round: r)
                federationEpsilon = ledger.spentEpsilon
            } catch let error as LedgerError {
                if case .budgetExceeded(_, let spent, _, let budget) = error {
                    publish(.federationBudgetExhausted(spent: spent, budget: budget))
                    return .failure(.init(.budgetExhausted))
                }
                publish(.roundFailed(reason: "federation ledger not written, no aggregate: \(error)"))
                return .failure(.init(.failed))
            } catch {
                publish(.roundFailed(reason: "client-level DP: \(error)"))
                return .failure(.init(.failed))
            }
        }
        let aggregate: Tensor
        if let folded = intake.fold {
            aggregate = strategy.combine(folded: folded)
        } else {
            aggregate = strategy.combine(intake.kept)
            let malicious = Set(intake.acceptedIndices.compactMap { i in hospitals[i].isMalicious ? hospitals[i].name : nil })
            if !malicious.isEmpty, intake.kept.count <= Self.influenceLimit {
                publish(.influence(HospitalInfluence.measure(intake.kept, strategy: strategy, malicious: malicious)))
            }
        }
        return .success(Collected(aggregate: aggregate, indices: intake.acceptedIndices, trainLoss: intake.trainLoss,
                                  trainingSeconds: intake.trainingSeconds, federationEpsilon: federationEpsilon,
                                  aggregationStarted: aggregationStarted, rejected: intake.rejected, delivered: intake.delivered))
    }

    /// How the intake decides and reports each answer of round `r`.
    private func intakeJudge(round r: Int, settings: RoundSettings, validator: UpdateValidator) -> RoundIntake.Judge {
        RoundIntake.Judge(
            problem: { [self] index, update in
                let name = hospitals[index].name
                if let e = update.epsilonSpent, e.isFinite, e >= 0 { hospitalEpsilon[name] = e }
                guard update.hospital == name else { return ("update names \(update.hospital) but came from \(name)", nil) }
                let records = heldRecords(index)?.train
                return validator.check(update, round: r, records: records, settings: settings)
            },
            accepted: { [self] index, update in
                publish(.updateReceived(hospital: hospitals[index].name, trainLoss: update.trainLoss,
                                        clippedFraction: update.clippedFraction, epsilon: update.epsilonSpent, seconds: update.seconds))
            },
            rejected: { [self] index, reason in publish(.updateRejected(hospital: hospitals[index].name, reason: reason)) },
            failed: { [self] index, error in
                let name = hospitals[index].name
                if case let .budgetExhausted(_, spent, _, budget) = error {
                    exhausted.insert(index)
                    hospitalEpsilon[name] = spent
                    publish(.hospitalBudgetExhausted(hospital: name, spent: spent, budget: budget))
                }
                publish(.hospitalDropped(hospital: name, reason: error.description))
            },
            missed: { [self] index in
                publish(.hospitalDropped(hospital: hospitals[index].name,
                                         reason: String(format: "missed the %.0f s deadline", configuration.deadline ?? 0)))
            })
    }

    /// Sends the round to the selected hospitals and hands each answer to `receive` (on the engine's
    /// queue) as it comes, until all are in or the deadline passes; publishes `training(k of n)`.
    private func collect(selected: [Int], global: Tensor, settings: RoundSettings,
                         receive: (Int, Result<HospitalUpdate, HospitalError>) -> Void) {
        let box = PhaseBox<Int, HospitalUpdate>()
        let n = selected.count
        enter(.training(reported: 0, selected: n))
        inbox.withLock { inFlight.formUnion(selected) }
        let bus = self.bus, round = settings.round, started = self.startInstant
        let train: @Sendable (Int) -> Void = { [self] i in
            let hospital = hospitals[i], name = hospital.name
            let result = Result { () throws(HospitalError) -> HospitalUpdate in
                try hospital.train(globalModel: global, settings: settings) { p in
                    bus.publish(round: round, kind: .progress(hospital: name, stepsDone: p.stepsDone, stepsTotal: p.stepsTotal), since: started)
                }
            }
            inbox.withLock { _ = inFlight.remove(i) }
            box.deliver(i, result)
        }
        for i in selected { workers.async { train(i) } }
        let deadline = configuration.deadline.map { Date(timeIntervalSinceNow: $0) }
        var reported = 0
        while true {
            let (count, done) = box.wait(beyond: reported, of: n, until: deadline)
            for (i, result) in box.take() { receive(i, result) }
            if count > reported {
                reported = count
                enter(.training(reported: reported, selected: n))
            }
            if done || reported == n { break }
            if let deadline, Date() >= deadline { break }  // deciding answers took us past it
        }
        for (i, result) in box.close() { receive(i, result) }
    }

    /// What round `r` asks of each hospital, from the configuration as it stands.
    func roundSettings(round r: Int) -> RoundSettings {
        RoundSettings(
            round: r, localEpochs: configuration.localEpochs, batchSize: configuration.batchSize,
            learningRate: configuration.learningRate, momentum: configuration.momentum,
            samplePrivacy: configuration.privacy.sampleLevel
                ? .init(noiseMultiplier: configuration.noiseMultiplier, clipNorm: configuration.clipNorm) : nil,
            proximalMu: strategy.proximalMu)
    }

    /// Below this many multiply-adds (test records × parameters, all hospitals together), in-process
    /// hospitals evaluate one after another on this thread: waking the other cores' workers costs more
    /// than the work (10 WDBC hospitals: ~10 µs each; `fedtop bench rounds`).
    static let serialEvaluationWork = 1_000_000

    /// Evaluates the global model on the hospitals' own test splits, weighted by test size:
    /// concurrently, unless every hospital is in this process and the work is small
    /// (``serialEvaluationWork``); remote hospitals always concurrently (each call waits on the network).
    private func evaluate(on indices: [Int], parameters: Tensor) -> EvaluationMetrics? {
        let results = ResultSlots<EvaluationMetrics>(count: indices.count)
        let hospitals = self.hospitals
        let testRecords = indices.map { heldRecords($0)?.test }
        let inProcess = indices.allSatisfy { hospitals[$0].location == .local }
        let work = testRecords.reduce(0.0) { $0 + Double(max(0, $1 ?? 0)) } * Double(parameters.count)
        let evaluateOne: @Sendable (Int) -> Void = { k in
            if let m = try? hospitals[indices[k]].evaluate(globalModel: parameters) { results.set(k, m) }
        }
        if inProcess && work < Double(Self.serialEvaluationWork) {
            indices.indices.forEach(evaluateOne)
        } else {
            DispatchQueue.concurrentPerform(iterations: indices.count, execute: evaluateOne)
        }
        var valid: [EvaluationMetrics] = []
        for (k, m) in results.values.enumerated() {
            guard let m else { continue }
            let hospital = hospitals[indices[k]]
            if let problem = m.problem(testRecords: testRecords[k]) {
                publish(.warning("\(hospital.name): evaluation refused: \(problem)"))
                continue
            }
            valid.append(m)
        }
        return EvaluationMetrics.weighted(valid)
    }
}

/// Slots written from concurrent workers.
final class ResultSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.withLock { slots[i] = v } }
    var values: [T?] { lock.withLock { slots } }
}
