import Crypto
import Datasets
import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SecureAggregation
import TensorCore
import Testing
@testable import Transport

/// Three hospital processes in this process (HospitalService over loopback gRPC), attached as
/// RemoteHospitals with one console key, each on its own third of WDBC.
struct RemoteTrio {
    let served: [ServedHospital]
    let remotes: [RemoteHospital]

    init() async throws {
        let key = ModelSigningKey()
        // Starting a server and connecting block their thread: off the cooperative pool.
        let hospitals = try await offPool {
            try ["alice", "bob", "carol"].enumerated().map { i, name in try ServedHospital(name: name, consoleKey: key, shard: i) }
        }
        served = hospitals
        remotes = try await offPool { try hospitals.map { try $0.connect() } }
    }

    func stop() {
        for r in remotes { r.close() }
        for s in served { s.stop() }
    }
}

/// The round settings a run with these engine settings sends (no DP-SGD, FedAvg).
let secureRunSettings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)

/// One secure round driven by the engine over the remote hospitals.
func runSecureRound(_ remotes: [any Hospital], model: Sequential, bits: Int = 16, clipRange: Double = 2,
                    quorum: Int? = nil) async throws -> (RunOutcome, [EngineEvent], Tensor) {
    let configuration = EngineConfiguration(
        name: "secure-remote", dataset: "wdbc", rounds: 1, localEpochs: secureRunSettings.localEpochs,
        batchSize: secureRunSettings.batchSize, learningRate: secureRunSettings.learningRate, momentum: 0, privacy: .off,
        noiseMultiplier: 0, clipNorm: 1, delta: 1e-5, epsilonBudget: nil, selection: .count(remotes.count), quorum: quorum ?? remotes.count,
        deadline: nil, seed: 1, secureAggregation: SecureAggregationSettings(bits: bits, clipRange: clipRange, phaseTimeout: 30))
    let engine = try Engine(configuration: configuration, model: model, hospitals: remotes, strategy: FedAvg())
    let subscription = engine.bus.subscribe(capacity: 100_000)
    // The engine and the remote hospitals block their threads: wait off the cooperative pool.
    let outcome = try await offPool {
        engine.start()
        return engine.wait()
    }
    var events: [EngineEvent] = []
    while let e = subscription.next(timeout: 0) { events.append(e) }
    return (outcome, events, engine.globalModel.parameters)
}

/// A session of 3 over the complete graph for `model`, as the engine would plan it.
func plan(for model: Sequential, participant: UInt32 = 1, session: String = "session-1", round: Int = 1) throws -> SecureRoundPlan {
    SecureRoundPlan(parameters: try SecAggParameters(runID: session, round: round, graph: .complete(3), threshold: 2,
                                                     vectorLength: model.parameterCount + 1),
                    participant: participant,
                    encoding: SecureEncoding(quantizer: try Quantizer(clipRange: 2, bits: 16), weightCap: 1_000, l2Clip: nil))
}

@Suite("Secure aggregation with remote hospitals (HospitalService and RemoteHospital over gRPC)", .serialized)
struct SecureAggregationTransportTests {
    @Test("the engine runs a secure round over 3 remote hospitals: the unmasked mean equals the plain FedAvg mean of the same updates within the quantisation bound")
    func engineRound() async throws {
        let trio = try await RemoteTrio()
        defer { trio.stop() }
        let model = trio.served[0].model
        #expect(trio.remotes.allSatisfy { $0.introduction.offersSecureAggregation })
        let (outcome, events, after) = try await runSecureRound(trio.remotes, model: model)
        #expect(outcome == .finished)
        let stages = events.compactMap { if case .secureAggregation(let s) = $0.kind { return s } else { return nil } }
        #expect(stages.map(\.stage) == [.advertise, .share, .masked, .unmask, .done])
        #expect(stages.last?.counts == [3, 3, 3, 3])
        #expect(!events.contains { if case .warning(let w) = $0.kind { return w.contains("clipped") } else { return false } })
        #expect(!events.contains { if case .hospitalDropped = $0.kind { return true } else { return false } })

        // The same updates in the clear: twins of the three hospitals (same records and seed) train the
        // same round; FedAvg's weighted mean is what the secure round must have applied.
        var expected = [Double](repeating: 0, count: model.parameterCount)
        var total = 0.0
        for i in 0..<3 {
            let twin = try LocalHospital(name: "twin\(i)", data: try ServedHospital.shard(i), architecture: model, privacy: nil,
                                         seed: 5, gate: ComputeGate())
            let update = try await offPool { try twin.train(globalModel: model.parameters, settings: secureRunSettings) { _ in } }
            let w = Double(update.sampleCount)
            total += w
            update.delta.withUnsafeBufferPointer { d in for j in expected.indices { expected[j] += Double(d[j]) * w } }
        }
        let q = try Quantizer(clipRange: 2, bits: 16)
        let bound = 3 / q.scale + 1e-5
        var moved = after
        moved.add(model.parameters, scaledBy: -1)
        var worst = 0.0
        moved.withUnsafeBufferPointer { m in for j in expected.indices { worst = max(worst, abs(Double(m[j]) - expected[j] / total)) } }
        #expect(worst <= bound, "largest difference from the plain mean \(worst) > \(bound)")
        #expect(moved.scalars.contains { $0 != 0 })
        for s in trio.served {
            #expect(s.audit.contains("for secure aggregation"))
            #expect(s.audit.contains("\"unmasked\""))
        }
    }

    @Test("a second unmasking request for the same round is refused with a generic error; the detail is in the hospital's audit log")
    func secondUnmaskRefused() async throws {
        let trio = try await RemoteTrio()
        defer { trio.stop() }
        let (outcome, _, _) = try await runSecureRound(trio.remotes, model: trio.served[0].model)
        #expect(outcome == .finished)
        let remote = trio.remotes[0]
        let session = try #require(remote.lock.withLock { remote.secureSession })
        // Through RemoteHospital: refused as a secure-aggregation step.
        let again = UnmaskingRequest(survivors: [1, 2, 3].filter { $0 != session.participant } + [session.participant], dropped: [])
        do {
            _ = try await offPool { try remote.unmask(round: 1, request: again) }
            Issue.record("a second unmasking request was answered")
        } catch let error as HospitalError {
            guard case .secureAggregation(_, let reason) = error else { Issue.record("expected a refused step, got \(error)"); return }
            #expect(reason.contains("refused the secure-aggregation step"))
        }
        // On the wire: FAILED_PRECONDITION with the generic message only, even naming a survivor as dropped.
        let served = trio.served[0]
        let nonce = [UInt8](repeating: 9, count: 16)
        let others = [UInt32(1), 2, 3].filter { $0 != session.participant }
        let sly = UnmaskingRequest(survivors: [session.participant, others[0]], dropped: [others[1]])
        let signed = SecureStepSignature(runID: "test-run", sessionID: session.sessionID, round: 1, nonce: nonce, payload: .unmasking(sly))
        var request = Fedtop_V1_UnmaskRequest()
        request.step = .with {
            $0.runID = "test-run"
            $0.sessionID = session.sessionID
            $0.round = 1
            $0.nonce = Data(nonce)
            $0.signature = Data(signed.sign(with: served.consoleKey))
        }
        request.survivors = sly.survivors
        request.dropped = sly.dropped
        let message = request
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            do {
                _ = try await Fedtop_V1_Hospital.Client(wrapping: grpc).unmask(message)
                Issue.record("a second unmasking request was answered")
            } catch let error as RPCError {
                #expect(error.code == .failedPrecondition)
                #expect(error.message == "secure aggregation step refused")
            }
        }
        #expect(served.audit.contains("a second unmasking request"))
    }

    @Test("an unsigned or wrongly signed secure session is refused before any training; so is a session changed after signing, and a step signed with another key")
    func signatures() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let model = served.model
        let sessionPlan = try plan(for: model)
        let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                                     samplePrivacy: .init(noiseMultiplier: 1.0, clipNorm: 1.0))
        for key in [ModelSigningKey?.none, .some(ModelSigningKey())] {
            let remote = try await offPool { try served.connect(signingKey: .some(key)) }
            defer { remote.close() }
            do {
                _ = try await offPool { try remote.trainSecurely(globalModel: model.parameters, settings: settings, plan: sessionPlan) { _ in } }
                Issue.record("a secure session signed with \(key == nil ? "no key" : "another key") was trained")
            } catch let error as HospitalError {
                #expect(error.description.contains("refused this console or the model's signature"), "\(error)")
            }
        }
        #expect(served.hospital.epsilonSpent == 0)
        #expect(served.audit.contains("signature does not verify"))

        // Signed for participant 1, sent as participant 2: the session is under the signature.
        let honest = try await offPool { try served.connect() }
        defer { honest.close() }
        var header = try honest.signedHeader(model.parameters, purpose: .secureTrain, settings: settings, plan: sessionPlan)
        header.secureSession.participant = 2
        let chunks = WireFormat.modelChunks(header, model.parameters)
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
            do {
                _ = try await client.secureTrain(requestProducer: { try await $0.write(contentsOf: chunks) })
                Issue.record("a session changed after signing was trained")
            } catch let error as RPCError {
                #expect(error.code == .permissionDenied && error.message == "not authorised")
            }
            // A Train signature does not open a secure session: the purpose is signed.
            var trainHeader = try honest.signedHeader(model.parameters, purpose: .train, settings: settings)
            trainHeader.secureSession = WireFormat.message(sessionPlan)
            let trainChunks = WireFormat.modelChunks(trainHeader, model.parameters)
            do {
                _ = try await client.secureTrain(requestProducer: { try await $0.write(contentsOf: trainChunks) })
                Issue.record("a Train signature opened a secure session")
            } catch let error as RPCError {
                #expect(error.code == .permissionDenied)
            }
        }
        #expect(served.hospital.epsilonSpent == 0)

        // A real session, then a step signed with another key: refused, the session untouched.
        let receipt = try await offPool { try honest.trainSecurely(globalModel: model.parameters, settings: settings, plan: sessionPlan) { _ in } }
        #expect(receipt.keys.participant == 1 && receipt.keys.encryptionKey.count == 32 && (receipt.epsilonSpent ?? 0) > 0)
        #expect(honest.accountant?.segments.count == 1)
        let nonce = [UInt8](repeating: 4, count: 16)
        let roster = [receipt.keys]
        let forged = SecureStepSignature(runID: "test-run", sessionID: "session-1", round: 1, nonce: nonce, payload: .roster(roster))
        var request = Fedtop_V1_ShareKeysRequest()
        request.step = .with {
            $0.runID = "test-run"
            $0.sessionID = "session-1"
            $0.round = 1
            $0.nonce = Data(nonce)
            $0.signature = Data(forged.sign(with: ModelSigningKey()))
        }
        request.roster = roster.map(WireFormat.message)
        let message = request
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            do {
                _ = try await Fedtop_V1_Hospital.Client(wrapping: grpc).shareKeys(message)
                Issue.record("a step signed with another key was answered")
            } catch let error as RPCError {
                #expect(error.code == .permissionDenied && error.message == "not authorised")
            }
        }
        #expect(served.audit.contains("the step's signature does not verify"))
    }

    @Test("a session beyond the hospital's bounds (quantisation bits, hospitals, input length, threshold, noise) is refused as a bad request before any training")
    func bounds() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let model = served.model
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        let header = try remote.signedHeader(model.parameters, purpose: .secureTrain, settings: secureRunSettings, plan: try plan(for: model))
        var wide = header
        wide.secureSession.encoding.bits = 40
        var crowded = header
        crowded.secureSession.participants = 20_000
        crowded.secureSession.degree = 19_999
        var long = header
        long.secureSession.vectorLength += 1
        var noThreshold = header
        noThreshold.secureSession.threshold = 1
        var noisy = header
        noisy.secureSession.encoding.noiseVariance = -1
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
            for bad in [wide, crowded, long, noThreshold, noisy] {
                let chunks = WireFormat.modelChunks(bad, model.parameters)
                do {
                    _ = try await client.secureTrain(requestProducer: { try await $0.write(contentsOf: chunks) })
                    Issue.record("a session out of bounds was trained")
                } catch let error as RPCError {
                    #expect(error.code == .invalidArgument && error.message == "bad request")
                }
            }
        }
        let audit = served.audit
        #expect(audit.contains("bits b = 40"))
        #expect(audit.contains("20000 hospitals"))
        #expect(audit.contains("words for"))
        #expect(audit.contains("threshold t = 1"))
        #expect(audit.contains("a noise variance of -1"))
        // A step with no session open is refused as a refused step, not answered.
        await #expect(throws: HospitalError.self) { try await offPool { try remote.shareKeys(round: 1, roster: []) } }
    }
}

/// A remote hospital whose server goes away just before masked input: dropped after sharing keys, so
/// the others must reveal its mask-key shares over the wire.
final class LostAfterSharing: SecureAggregationHospital, @unchecked Sendable {
    let remote: RemoteHospital
    let served: ServedHospital

    init(remote: RemoteHospital, served: ServedHospital) {
        self.remote = remote
        self.served = served
    }

    var name: String { remote.name }
    var location: HospitalLocation { remote.location }
    var status: HospitalStatus { remote.status }
    func summary() throws(HospitalError) -> HospitalSummary { try remote.summary() }
    func train(globalModel: Tensor, settings: RoundSettings,
               progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        try remote.train(globalModel: globalModel, settings: settings, progress: progress)
    }
    func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics { try remote.evaluate(globalModel: globalModel) }
    func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                       progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        try remote.trainSecurely(globalModel: globalModel, settings: settings, plan: plan, progress: progress)
    }
    func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare] {
        try remote.shareKeys(round: round, roster: roster)
    }
    func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput {
        // Called on the engine's worker thread (never the cooperative pool): waiting here is allowed.
        served.server.stop()
        served.server.wait()
        return try remote.maskedInput(round: round, shares: shares)
    }
    func unmask(round: Int, request: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse {
        try remote.unmask(round: round, request: request)
    }
}

@Suite("Secure aggregation over gRPC: dropouts, wire formats and signatures")
struct SecureAggregationWireTests {
    @Test("a hospital lost after sharing keys is recovered: the survivors reveal its mask-key shares over the wire, and the model moves by the survivors' mean")
    func lostAfterSharing() async throws {
        let trio = try await RemoteTrio()
        defer { trio.stop() }
        let model = trio.served[0].model
        let lost = LostAfterSharing(remote: trio.remotes[2], served: trio.served[2])
        let (outcome, events, after) = try await runSecureRound([trio.remotes[0], trio.remotes[1], lost] as [any Hospital], model: model,
                                                             quorum: 2)
        #expect(outcome == .finished, "\(events.map(\.kind))")
        let done = events.compactMap { if case .secureAggregation(let s) = $0.kind, s.stage == .done { return s } else { return nil } }
        #expect(done.first?.counts == [3, 3, 2, 2])
        #expect(done.first?.detail?.contains("1 recovered after sharing keys") == true, "\(done)")
        var expected = [Double](repeating: 0, count: model.parameterCount)
        var total = 0.0
        for i in 0..<2 {
            let twin = try LocalHospital(name: "twin\(i)", data: try ServedHospital.shard(i), architecture: model, privacy: nil,
                                         seed: 5, gate: ComputeGate())
            let update = try await offPool { try twin.train(globalModel: model.parameters, settings: secureRunSettings) { _ in } }
            total += Double(update.sampleCount)
            update.delta.withUnsafeBufferPointer { d in for j in expected.indices { expected[j] += Double(d[j]) * Double(update.sampleCount) } }
        }
        let bound = 2 / (try Quantizer(clipRange: 2, bits: 16)).scale + 1e-5
        var moved = after
        moved.add(model.parameters, scaledBy: -1)
        var worst = 0.0
        moved.withUnsafeBufferPointer { m in for j in expected.indices { worst = max(worst, abs(Double(m[j]) - expected[j] / total)) } }
        #expect(worst <= bound, "largest difference from the survivors' mean \(worst) > \(bound)")
        // Each survivor revealed the lost hospital's mask-key share, and no self-mask share of it.
        for s in trio.served[0...1] {
            #expect(s.audit.contains("mask-key shares of 1 dropped neighbour(s) (2 survivors, 1 dropped)"), "\(s.audit)")
        }
    }

    @Test("masked-input words survive chunking bit for bit; a partial word, too many or too few words are refused")
    func wordChunks() throws {
        var g = SystemRandomNumberGenerator()
        let words = (0..<1_001).map { _ in UInt32.random(in: .min ... .max, using: &g) }
        let chunks = WordChunks.split(words, chunkBytes: 400)
        #expect(chunks.count == 11 && chunks.allSatisfy { $0.count <= 400 })
        var assembler = WordChunks.Assembler(expected: words.count)
        for c in chunks { try assembler.append(c) }
        #expect(try assembler.finish() == words)
        // The 1 MiB chunks of a 300k-parameter model's input.
        let big = [UInt32](repeating: 7, count: 300_001)
        let bigChunks = WireFormat.maskedInputChunks(MaskedInput(participant: 2, words: big))
        #expect(bigChunks.count == 2 && bigChunks[0].hasHeader && !bigChunks[1].hasHeader)
        #expect(bigChunks.allSatisfy { $0.words.count <= FloatChunks.maxChunkBytes })
        var partial = WordChunks.Assembler(expected: 4)
        #expect(throws: TransportError.self) { try partial.append(Data([1, 2, 3])) }
        var tooMany = WordChunks.Assembler(expected: 1)
        #expect(throws: TransportError.self) { try tooMany.append(Data(count: 8)) }
        var tooFew = WordChunks.Assembler(expected: 3)
        try tooFew.append(Data(count: 8))
        #expect(throws: TransportError.self) { try tooFew.finish() }
    }

    @Test("a secure-train signature covers every field of the session; train and evaluate digests are the documented bytes, without a session")
    func sessionSignature() throws {
        let parameters = Tensor((0..<16).map { Float($0) / 7 })
        let shapes: [(name: String, dims: [Int])] = [("fc1.weight", [4, 3]), ("fc1.bias", [4])]
        let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)
        func session(_ change: (inout SecureRoundPlan) throws -> Void = { _ in }) throws -> SecureRoundPlan {
            var p = SecureRoundPlan(parameters: try SecAggParameters(runID: "s", round: 1, graph: .complete(5), threshold: 3, vectorLength: 17),
                                    participant: 2,
                                    encoding: SecureEncoding(quantizer: try Quantizer(clipRange: 1, bits: 16), weightCap: 100, l2Clip: 2))
            try change(&p)
            return p
        }
        func signature(_ plan: SecureRoundPlan) -> ModelSignature {
            ModelSignature(purpose: .secureTrain, runID: "run", nonce: Array(0..<16), architecture: "mlp", settings: settings,
                           shapes: shapes, secureSession: plan)
        }
        let key = ModelSigningKey()
        let signed = signature(try session()).sign(parameters: parameters, with: key)
        #expect(signature(try session()).verify(signed, parameters: parameters, with: key.verifyingKey))
        let variants: [SecureRoundPlan] = [
            try session { $0.parameters.runID = "t" },
            try session { $0.parameters.round = 2 },
            try session { $0.parameters = try SecAggParameters(runID: "s", round: 1, graph: .complete(6), threshold: 4, vectorLength: 17) },
            try session { $0.parameters = try SecAggParameters(runID: "s", round: 1, graph: try .harary(5, degree: 2), threshold: 2, vectorLength: 17) },
            try session { $0.parameters.threshold = 4 },
            try session { $0.parameters.vectorLength = 18 },
            try session { $0.participant = 3 },
            try session { $0.encoding.quantizer = try Quantizer(clipRange: 1, bits: 15) },
            try session { $0.encoding.quantizer = try Quantizer(clipRange: 0.5, bits: 16) },
            try session { $0.encoding.weightCap = 101 },
            try session { $0.encoding.weightCap = nil },
            try session { $0.encoding.l2Clip = 3 },
            try session { $0.encoding.l2Clip = nil },
            try session { $0.encoding.noiseVariance = 1 },
        ]
        for v in variants { #expect(!signature(v).verify(signed, parameters: parameters, with: key.verifyingKey), "\(v)") }
        var none = signature(try session())
        none.secureSession = nil
        #expect(!none.verify(signed, parameters: parameters, with: key.verifyingKey))
        var asTrain = signature(try session())
        asTrain.purpose = .train
        #expect(!asTrain.verify(signed, parameters: parameters, with: key.verifyingKey))

        // Train and evaluate: the canonical bytes of the `.proto`'s comment (as README's Python client
        // builds them), with no session group, whatever secureSession holds.
        func u64(_ x: Int) -> [UInt8] { withUnsafeBytes(of: UInt64(x).littleEndian, Array.init) }
        func text(_ s: String) -> [UInt8] { u64(s.utf8.count) + Array(s.utf8) }
        let tail = u64(shapes.count) + shapes.flatMap { text($0.name) + u64($0.dims.count) + $0.dims.flatMap(u64) } + u64(parameters.count)
            + parameters.scalars.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let head = text("fedtop-model-v1")
        let evaluate = head + text("evaluate") + text("run") + u64(16) + Array(0..<16) + text("mlp") + [0] + tail
        let settingsBytes: [UInt8] = [1] + u64(1) + u64(1) + u64(32) + withUnsafeBytes(of: Float(0.1).bitPattern.littleEndian, Array.init)
            + withUnsafeBytes(of: Float(0).bitPattern.littleEndian, Array.init) + [0]
            + withUnsafeBytes(of: Float(0).bitPattern.littleEndian, Array.init)
        let train = head + text("train") + text("run") + u64(16) + Array(0..<16) + text("mlp") + settingsBytes + tail
        for (purpose, bytes, s) in [(ModelSignature.Purpose.evaluate, evaluate, RoundSettings?.none), (.train, train, settings)] {
            let withSession = ModelSignature(purpose: purpose, runID: "run", nonce: Array(0..<16), architecture: "mlp", settings: s,
                                             shapes: shapes, secureSession: try session())
            #expect(withSession.digest(parameters: parameters) == Array(SHA256.hash(data: bytes)), "\(purpose)")
        }
    }

    @Test("a step's signature covers its name, run, session, round, nonce and payload")
    func stepSignature() throws {
        let keys = [AdvertisedKeys(participant: 1, encryptionKey: Array(repeating: 1, count: 32), maskingKey: Array(repeating: 2, count: 32))]
        let step = SecureStepSignature(runID: "run", sessionID: "s", round: 1, nonce: Array(0..<16), payload: .roster(keys))
        let key = ModelSigningKey()
        let signed = step.sign(with: key)
        #expect(step.verify(signed, with: key.verifyingKey))
        var variants: [SecureStepSignature] = []
        var v = step; v.runID = "other"; variants.append(v)
        v = step; v.sessionID = "t"; variants.append(v)
        v = step; v.round = 2; variants.append(v)
        v = step; v.nonce[3] ^= 1; variants.append(v)
        var changed = keys
        changed[0].maskingKey[31] ^= 1
        v = step; v.payload = .roster(changed); variants.append(v)
        v = step; v.payload = .roster([]); variants.append(v)
        v = step; v.payload = .shares([]); variants.append(v)
        v = step; v.payload = .unmasking(UnmaskingRequest(survivors: [], dropped: [])); variants.append(v)
        for variant in variants { #expect(!variant.verify(signed, with: key.verifyingKey)) }
        #expect(!step.verify(signed, with: ModelSigningKey().verifyingKey))
        let unmasking = SecureStepSignature(runID: "run", sessionID: "s", round: 1, nonce: Array(0..<16),
                                            payload: .unmasking(UnmaskingRequest(survivors: [1, 2], dropped: [3])))
        var moved = unmasking
        moved.payload = .unmasking(UnmaskingRequest(survivors: [1], dropped: [2, 3]))
        #expect(!moved.verify(unmasking.sign(with: key), with: key.verifyingKey))
    }
}
