import Foundation
import Privacy
import SecureAggregation
import TensorCore
import Testing
@testable import Federation

/// Everything the aggregator received from the hospitals in a run, and what each hospital encoded.
final class AggregatorViewRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var inputs: [String: [UInt32]] = [:]
    private(set) var receipts: [SecureTrainingReceipt] = []
    private(set) var shares: [EncryptedShare] = []
    private(set) var masked: [String: MaskedInput] = [:]
    private(set) var responses: [UnmaskingResponse] = []
    private(set) var unmaskCalls = 0
    func with(_ body: (AggregatorViewRecorder) -> Void) { lock.withLock { body(self) } }
    func input(_ name: String, _ w: [UInt32]) { lock.withLock { inputs[name] = w } }
    func receipt(_ r: SecureTrainingReceipt) { lock.withLock { receipts.append(r) } }
    func sent(_ s: [EncryptedShare]) { lock.withLock { shares += s } }
    func maskedInput(_ name: String, _ m: MaskedInput) { lock.withLock { masked[name] = m } }
    func response(_ r: UnmaskingResponse) { lock.withLock { responses.append(r) } }
    func unmaskCalled() { lock.withLock { unmaskCalls += 1 } }
}

/// A hospital whose update is a known vector, taking part in secure rounds through the real seat, encoding
/// and protocol; it can drop out at a chosen phase.
final class FixedUpdateHospital: SecureAggregationHospital, @unchecked Sendable {
    let name: String
    let location = HospitalLocation.local
    let delta: Tensor
    let records: Int
    let failAt: SecAggPhase?
    let recorder: AggregatorViewRecorder
    let seat: SecureAggregationSeat

    init(name: String, delta: Tensor, records: Int, failAt: SecAggPhase? = nil, recorder: AggregatorViewRecorder) {
        self.name = name
        self.delta = delta
        self.records = records
        self.failAt = failAt
        self.recorder = recorder
        seat = SecureAggregationSeat(hospital: name)
    }

    func summary() throws(HospitalError) -> HospitalSummary {
        HospitalSummary(name: name, trainRecords: records, testRecords: 1, classCounts: [records], epsilonBudget: nil, delta: nil,
                        epsilonSpent: 0, secureNoise: true)
    }
    func train(globalModel: Tensor, settings: RoundSettings, progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        HospitalUpdate(hospital: name, round: settings.round, delta: delta, sampleCount: records, trainLoss: 1, clippedFraction: 0,
                       spend: nil, epsilonSpent: nil, secureNoise: true, seconds: 0)
    }
    func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics { EvaluationMetrics(count: 1, loss: 0, accuracy: 0, auc: nil) }
    var status: HospitalStatus { .idle }

    func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                       progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        if failAt == .advertiseKeys { throw .offline(hospital: name) }
        // Each hospital its own stream (equal seeds would give every hospital the same noise).
        var g = ChaCha20Generator(seed: UInt64(name.unicodeScalars.reduce(0) { $0 * 31 + $1.value }), stream: UInt64(settings.round))
        let words: [UInt32], clipped: Int
        do { (words, clipped) = try plan.encoding.encode(delta: delta, sampleCount: records, using: &g) } catch {
            throw .secureAggregation(hospital: name, reason: "\(error)")
        }
        recorder.input(name, words)
        let keys = try seat.start(plan: plan, round: settings.round, input: words, generator: g)
        let r = SecureTrainingReceipt(hospital: name, round: settings.round, keys: keys, trainLoss: 1, clippedFraction: 0,
                                      clippedCoordinates: clipped, epsilonSpent: nil, secureNoise: true, seconds: 0)
        recorder.receipt(r)
        return r
    }
    func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare] {
        if failAt == .shareKeys { throw .offline(hospital: name) }
        let s = try seat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.shareKeys(roster: roster) }
        recorder.sent(s)
        return s
    }
    func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput {
        if failAt == .maskedInput { throw .offline(hospital: name) }
        let m = try seat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.maskedInput(shares: shares) }
        recorder.maskedInput(name, m)
        return m
    }
    func unmask(round: Int, request: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse {
        recorder.unmaskCalled()
        if failAt == .unmasking { throw .offline(hospital: name) }
        let r = try seat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.unmask(request) }
        recorder.response(r)
        return r
    }
}

@Suite("Secure rounds in the engine")
struct SecureRoundTests {
    let model = try! ModelZoo.mlp(inputShape: [6], classes: 2, seed: 1)

    func hospitals(_ n: Int, failing: [Int: SecAggPhase] = [:], recorder: AggregatorViewRecorder) -> [FixedUpdateHospital] {
        (0..<n).map { i in
            var g = ChaCha20Generator(seed: 100 + UInt64(i))
            let delta = Tensor(shape: [model.parameterCount], scalars: (0..<model.parameterCount).map { _ in Float.random(in: -0.2...0.2, using: &g) })
            return FixedUpdateHospital(name: "h\(i + 1)", delta: delta, records: 50 + 25 * i, failAt: failing[i], recorder: recorder)
        }
    }

    func run(_ hs: [FixedUpdateHospital], quorum: Int = 2, strategy: any Strategy = MeanStrategy()) throws -> (RunOutcome, [EngineEvent], Tensor) {
        let configuration = EngineConfiguration(
            name: "secure", dataset: "none", rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0, privacy: .off,
            noiseMultiplier: 0, clipNorm: 1, delta: 1e-5, epsilonBudget: nil, selection: .count(hs.count), quorum: quorum,
            deadline: nil, seed: 1, secureNoise: true, secureAggregation: SecureAggregationSettings(bits: 16, clipRange: 0.5, phaseTimeout: 20))
        let engine = try Engine(configuration: configuration, model: model, hospitals: hs, strategy: strategy)
        let (outcome, events) = FederationFixture.run(engine)
        return (outcome, events, engine.model.parameters)
    }

    /// The sample-weighted mean of some hospitals' updates.
    func mean(_ hs: [FixedUpdateHospital]) -> [Float] {
        let total = Float(hs.reduce(0) { $0 + $1.records })
        var out = [Float](repeating: 0, count: model.parameterCount)
        for h in hs { h.delta.withUnsafeBufferPointer { d in for i in out.indices { out[i] += d[i] * Float(h.records) / total } } }
        return out
    }

    func moved(_ after: Tensor) -> [Float] {
        var d = after
        d.add(model.parameters, scaledBy: -1)
        return d.withUnsafeBufferPointer(Array.init)
    }

    @Test("the aggregator's view of a whole round holds no single hospital's update, and the sum it unmasks is the plain weighted mean within the quantisation bound")
    func aggregatorView() throws {
        let recorder = AggregatorViewRecorder()
        let hs = hospitals(5, recorder: recorder)
        let (outcome, events, after) = try run(hs)
        #expect(outcome == .finished)
        let step = moved(after), expected = mean(hs)
        let q = try Quantizer(clipRange: 0.5, bits: 16)
        for i in step.indices { #expect(abs(step[i] - expected[i]) <= Float(5 / q.scale) + 1e-5) }
        recorder.with { view in
            #expect(view.masked.count == 5)
            for (name, m) in view.masked {
                let x = view.inputs[name]!
                let same = zip(m.words, x).filter { $0 == $1 }.count
                #expect(same <= 2, "\(name)'s masked input equals its input in \(same) of \(x.count) words")
                // Nor is it any other hospital's input, or a sum of two: the masks are uniform words.
                for (other, y) in view.inputs where other != name {
                    #expect(zip(m.words, y).filter { $0 == $1 }.count <= 2)
                }
            }
            // Unmasking reveals self-mask shares of survivors only; no mask-key shares (no one dropped).
            #expect(view.responses.allSatisfy { $0.maskKeyShares.isEmpty })
            // Receipts carry metrics and public keys only.
            #expect(view.receipts.count == 5)
        }
        let secure = events.compactMap { if case .secureAggregation(let s) = $0.kind { return s } else { return nil } }
        #expect(secure.map(\.stage) == [.advertise, .share, .masked, .unmask, .done])
        #expect(secure.last?.counts == [5, 5, 5, 5])
    }

    @Test("n − t dropouts at any phase are recovered: the model moves by the mean of the masked-input survivors",
          arguments: SecAggPhase.allCases)
    func recovered(phase: SecAggPhase) throws {
        let recorder = AggregatorViewRecorder()
        let hs = hospitals(5, failing: [1: phase, 3: phase], recorder: recorder)  // t = 3 of 5
        let (outcome, events, after) = try run(hs)
        #expect(outcome == .finished)
        let survivors = phase == .unmasking ? hs : [hs[0], hs[2], hs[4]]
        let step = moved(after), expected = mean(survivors)
        let q = try Quantizer(clipRange: 0.5, bits: 16)
        for i in step.indices { #expect(abs(step[i] - expected[i]) <= Float(5 / q.scale) + 1e-5) }
        let done = events.compactMap { if case .secureAggregation(let s) = $0.kind, s.stage == .done { return s } else { return nil } }
        #expect(done.count == 1)
        if phase == .shareKeys || phase == .maskedInput || phase == .advertiseKeys {
            #expect(done.first?.detail != nil)
        }
        if phase == .maskedInput {
            // Dropped after sharing keys: their mask keys were reconstructed, their self masks never.
            recorder.with { view in
                let owners = Set(view.responses.flatMap { $0.maskKeyShares.map(\.owner) })
                #expect(owners.count == 2)
                #expect(view.responses.allSatisfy { Set($0.selfMaskShares.map(\.owner)).isDisjoint(with: owners) })
            }
        }
    }

    @Test("below the threshold the round aborts: no unmasking request before it, no aggregate, the model unchanged",
          arguments: [SecAggPhase.shareKeys, .maskedInput])
    func aborted(phase: SecAggPhase) throws {
        let recorder = AggregatorViewRecorder()
        let hs = hospitals(5, failing: [0: phase, 1: phase, 3: phase], recorder: recorder)
        let (outcome, events, after) = try run(hs)
        #expect(outcome == .failed)
        #expect(moved(after).allSatisfy { $0 == 0 })
        recorder.with { #expect($0.unmaskCalls == 0) }
        let aborted = events.compactMap { if case .secureAggregation(let s) = $0.kind, s.stage == .aborted { return s } else { return nil } }
        #expect(aborted.count == 1)
        #expect(aborted.first?.detail?.contains("below the threshold") == true)
        #expect(events.contains { if case .roundFailed = $0.kind { return true } else { return false } })
    }

    @Test("robust strategies, adaptive clipping and a single hospital are refused with a clear reason")
    func refused() throws {
        let recorder = AggregatorViewRecorder()
        #expect(throws: FederationError.self) { try run(hospitals(3, recorder: recorder), strategy: FirstUpdateStrategy()) }
        #expect(throws: FederationError.self) { try run(hospitals(1, recorder: recorder), quorum: 1) }
    }

    @Test("client-level DP under secure aggregation: the unmasked sum carries the hospitals' Skellam noise (variance within 5 sd), and the federation's ledger paid the Skellam spend before unmasking")
    func distributedNoise() throws {
        let recorder = AggregatorViewRecorder()
        let n = 5
        let zero = (0..<n).map { i in
            FixedUpdateHospital(name: "h\(i + 1)", delta: Tensor(shape: [model.parameterCount]), records: 40, recorder: recorder)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-secure-dp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = try PrivacyLedger(path: directory + "/federation.ledger", budget: (100, 1e-5),
                                       seal: try LedgerSeal.loadOrCreate(directory: directory + ".seal", name: "federation"))
        let z = 0.8, clip = 0.5
        let dp = try DPFedAvg(wrapping: MeanStrategy(), mechanism: try ClientLevelDP(noiseMultiplier: z, clipNorm: clip, expectedParticipants: Double(n)),
                              sampleRate: 1, noiseSeed: 1)
        let configuration = EngineConfiguration(
            name: "secure-dp", dataset: "none", rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0, privacy: .client,
            noiseMultiplier: 0, clipNorm: 1, delta: 1e-5, epsilonBudget: 100, selection: .rate(1), quorum: 2,
            deadline: nil, seed: 1, secureNoise: false, secureAggregation: SecureAggregationSettings(bits: 16, clipRange: clip))
        let engine = try Engine(configuration: configuration, model: model, hospitals: zero, strategy: dp, federationLedger: ledger)
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        let noise = try DistributedSkellam(try #require(dp.clientPrivacy), bits: 16, parameters: model.parameterCount, quorum: 2)
        #expect(noise.contributors == 3)
        // The decoded step: Σ noise / γ / (q·n); its variance n·V/m / γ² / (q·n)².
        let step = moved(engine.model.parameters).map(Double.init)
        let gamma = noise.quantizer.scale
        let expected = Double(n) * noise.perHospitalVariance / (gamma * gamma) / Double(n * n)
        let d = Double(step.count)
        let mean = step.reduce(0, +) / d
        let variance = step.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (d - 1)
        #expect(abs(variance / expected - 1) < 5 * (2 / d).squareRoot(), "noise variance \(variance), expected \(expected)")
        #expect(abs(mean) < 5 * (expected / d).squareRoot())
        // The federation's ledger holds exactly one Skellam round at V.
        var reference = RDPAccountant()
        reference.compose(try noise.roundSpend)
        let spent = reference.epsilon(delta: 1e-5).epsilon
        #expect(abs(ledger.spentEpsilon - spent) < 1e-9)
        #expect(events.summaries.first?.federationEpsilon.map { abs($0 - spent) < 1e-9 } == true)
    }
}
