
import Datasets
import Dispatch
import Federation
import Foundation
import Privacy
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import TensorCore
import Testing
@testable import Transport

extension RemoteHospital.Options {
    /// Connection options for tests: Hello may wait a minute, so a suite run on a loaded two-core machine
    /// is not failed by a deadline that is not what it tests.
    static var patient: Self {
        var o = Self()
        o.connectTimeout = 60
        return o
    }
}

/// Runs blocking work (RemoteHospital's calls) off Swift's cooperative pool, as the engine does.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try body() }) }
    }
}

/// A hospital process in this process: the production HospitalTrainer (what `fedtop hospital` runs) on
/// a WDBC shard behind HospitalService, served over loopback (plaintext: these tests are about the
/// service; TLS has its own).
final class ServedHospital: @unchecked Sendable {
    let directory: String
    let hospital: any ServableHospital
    let service: HospitalService
    let server: HospitalServer
    let port: Int
    let consoleKey: ModelSigningKey
    let model: Sequential

    init(name: String = "alice", budget: Double = 10, limits: WorkLimits = .standard, port: Int = 0,
         directory: String? = nil, hospital existing: (any ServableHospital)? = nil,
         consoleKey: ModelSigningKey = .init(), shard: Int = 0, policy: HospitalPolicy = .permissive) throws {
        self.consoleKey = consoleKey
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-svc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        let data = try BuiltinDataset.wdbc()
        model = try ModelZoo.make("mlp", inputShape: data.featureShape, classes: 2, seed: 1)
        hospital = try existing ?? HospitalTrainer(
            name: name, data: try Self.shard(shard), architecture: model,
            privacy: .init(ledgerPath: self.directory + "/\(name).ledger", epsilonBudget: budget, delta: 1e-5, noiseSeed: 3,
                           seal: try LedgerSeal.loadOrCreate(directory: self.directory + ".seal", name: name)),
            policy: policy, seed: 5, gate: ComputeGate())
        service = HospitalService(hospital: hospital,
                                  facts: .init(datasetName: "wdbc", featureShape: data.featureShape, classNames: data.classNames),
                                  configuration: .init(limits: limits, modelKey: consoleKey.verifyingKey, heartbeat: 0.2),
                                  log: try HospitalLog(name: name, auditPath: self.directory + "/audit.jsonl", echo: false))
        server = try HospitalServer.insecure(service: service, host: "127.0.0.1", port: port)
        self.port = try server.start()
    }

    /// Share `index` of three of WDBC, standardised with its own statistics.
    static func shard(_ index: Int) throws -> HospitalData {
        let share = try Partitioner.partition(try BuiltinDataset.wdbc(), hospitals: 3, scheme: .iid, testFraction: 0.2, seed: 1)[index]
        let s = Standardizer.fit(share.train)
        return HospitalData(train: s.apply(share.train), test: s.apply(share.test))
    }

    var endpoint: RemoteHospital.Endpoint { .init(host: "127.0.0.1", port: port, insecure: true) }

    func connect(signingKey: ModelSigningKey?? = nil) throws -> RemoteHospital {
        let endpoint = self.endpoint
        let remote = try RemoteHospital.connect(to: endpoint, makeTransport: { try endpoint.plaintextTransport(config: $0) },
                                                runID: "test-run", signingKey: signingKey ?? consoleKey, options: .patient)
        try remote.adopt(model)
        return remote
    }

    var audit: String { (try? String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)) ?? "" }

    /// The ledger's bytes, to show that a refused request changed nothing.
    var ledgerBytes: Data { (try? Data(contentsOf: URL(fileURLWithPath: directory + "/\(hospital.name).ledger"))) ?? Data() }

    /// Stops serving without waiting for the server to finish: safe on Swift's cooperative pool (a
    /// test's `defer`), where waiting would hold a thread the server's own tasks need.
    func stop() { server.stop() }

    /// Stops serving and waits until the server has stopped (its port free), off the cooperative pool.
    func stopAndWait() async throws {
        let server = self.server
        _ = try await offPool {
            server.stop()
            return server.wait().map { "\($0)" }
        }
    }
}

let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                             samplePrivacy: .init(noiseMultiplier: 1.0, clipNorm: 1.0))

@Suite("HospitalService and RemoteHospital over gRPC (loopback)", .serialized)
struct HospitalServiceTests {
    @Test("Hello tells name, counts and budget, never a record; a signed round trains, pays its ledger first, and evaluates")
    func trainAndEvaluate() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        #expect(remote.name == "alice")
        let summary = try remote.summary()
        #expect(summary.trainRecords == served.hospital.trainRecords && summary.epsilonBudget == 10 && summary.epsilonSpent == 0)
        #expect(remote.location == .remote(address: "127.0.0.1:\(served.port)"))
        let model = served.model.parameters
        let update = try await offPool { try remote.train(globalModel: model, settings: settings) { _ in } }
        #expect(update.delta.count == model.count)
        #expect(update.delta.scalars.allSatisfy(\.isFinite) && update.delta.scalars.contains { $0 != 0 })
        #expect(update.spend != nil && (update.epsilonSpent ?? 0) > 0)
        // The hospital's ledger holds the spend the console was told of.
        #expect(abs(served.hospital.epsilonSpent - (update.epsilonSpent ?? 0)) < 1e-12)
        #expect(remote.accountant?.segments.count == 1)
        let metrics = try await offPool { try remote.evaluate(globalModel: model) }
        #expect(metrics.count == (try served.hospital.summary().testRecords) && metrics.auc != nil)
        #expect(served.audit.contains("\"trained\""))
    }

    @Test("Hello announces the hospital's own adversarial training, which the console shows (it decodes to the same setting)")
    func announcesAdversarialTraining() async throws {
        let adversarial = try AdversarialTraining(parsing: "pgd:0.3:5", ratio: 0.25)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-svc-adv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = try BuiltinDataset.wdbc()
        let trainer = try HospitalTrainer(
            name: "alice", data: try ServedHospital.shard(0),
            architecture: try ModelZoo.make("mlp", inputShape: data.featureShape, classes: 2, seed: 1),
            privacy: .init(ledgerPath: directory + "/alice.ledger", epsilonBudget: 10, delta: 1e-5, noiseSeed: 3,
                           seal: try LedgerSeal.loadOrCreate(directory: directory + "/seal", name: "alice")),
            policy: .permissive, seed: 5, gate: ComputeGate(), adversarial: adversarial)
        let served = try await offPool { try ServedHospital(directory: directory, hospital: trainer) }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        #expect(try remote.summary().adversarial == adversarial)
        // And a hospital training on clean batches announces none.
        let clean = try await offPool { try ServedHospital() }
        defer { clean.stop() }
        let cleanRemote = try await offPool { try clean.connect() }
        defer { cleanRemote.close() }
        #expect(try cleanRemote.summary().adversarial == nil)
    }

    @Test("a model signed with another key, or unsigned, is refused with a generic error; the detail is in the hospital's audit log")
    func badSignature() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let intruder = try await offPool { try served.connect(signingKey: .some(ModelSigningKey())) }
        defer { intruder.close() }
        let model = served.model.parameters
        do {
            _ = try await offPool { try intruder.train(globalModel: model, settings: settings) { _ in } }
            Issue.record("a wrongly signed model was trained")
        } catch let error as HospitalError {
            #expect(error.description.contains("refused this console or the model's signature"))
        }
        let unsigned = try await offPool { try served.connect(signingKey: .some(nil)) }
        defer { unsigned.close() }
        await #expect(throws: HospitalError.self) { try await offPool { try unsigned.evaluate(globalModel: model) } }
        #expect(served.hospital.epsilonSpent == 0)
        #expect(served.audit.contains("signature does not verify"))
    }

    @Test("settings beyond the hospital's work limits are refused before any training")
    func workLimits() async throws {
        let served = try await offPool { try ServedHospital(limits: WorkLimits(maxLocalEpochs: 2)) }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        var tooMuch = settings
        tooMuch.localEpochs = 3
        let greedy = tooMuch
        let model = served.model.parameters
        await #expect(throws: HospitalError.self) { try await offPool { try remote.train(globalModel: model, settings: greedy) { _ in } } }
        #expect(served.hospital.epsilonSpent == 0)
        #expect(served.audit.contains("local epochs 3 exceed the limit 2"))
    }

    @Test("a replayed request (the same signed chunks again) is refused")
    func replay() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let key = served.consoleKey
        let model = served.model
        let shapes = WireFormat.shapes(of: model)
        let signed = ModelSignature(purpose: .evaluate, runID: "r", nonce: Array(repeating: 7, count: 16), architecture: "mlp",
                                    settings: nil, shapes: shapes)
        var header = Fedtop_V1_ModelHeader()
        header.architecture = "mlp"
        header.parameterCount = UInt64(model.parameterCount)
        header.shapes = WireFormat.message(shapes)
        header.runID = "r"
        header.nonce = Data(signed.nonce)
        header.signature = Data(signed.sign(parameters: model.parameters, with: key))
        var chunk = Fedtop_V1_ModelChunk()
        chunk.header = header
        chunk.values = FloatChunks.split(model.parameters)[0]
        let message = chunk
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
            let first = try await client.evaluate(requestProducer: { try await $0.write(message) })
            #expect(first.count > 0)
            do {
                _ = try await client.evaluate(requestProducer: { try await $0.write(message) })
                Issue.record("a replayed request was answered")
            } catch let error as RPCError {
                #expect(error.code == .permissionDenied)
                #expect(error.message == "not authorised")
            }
        }
        #expect(served.audit.contains("replayed"))
    }

    @Test("a call with absurd sizes, or bytes that are not the protocol's message, is refused; the hospital goes on serving")
    func malformed() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        var header = Fedtop_V1_ModelHeader()
        header.architecture = "mlp"
        header.parameterCount = 1 << 40
        header.nonce = Data(repeating: 1, count: 16)
        var chunk = Fedtop_V1_ModelChunk()
        chunk.header = header
        let absurd = chunk
        try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
            let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
            do {
                _ = try await client.evaluate(requestProducer: { try await $0.write(absurd) })
                Issue.record("a model of 2^40 parameters was accepted")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument && error.message == "bad request")
            }
            // Random bytes where a ModelChunk should be.
            let request = StreamingClientRequest<[UInt8]>(producer: { try await $0.write((0..<512).map { _ in UInt8.random(in: 0...255) }) })
            do {
                _ = try await grpc.clientStreaming(request: request, descriptor: Fedtop_V1_Hospital.Method.Evaluate.descriptor,
                                                   serializer: RawBytes(), deserializer: ProtobufReply(), options: .defaults) {
                    try $0.message
                }
                Issue.record("garbage was answered")
            } catch is RPCError {
                // Refused, as it must be; what matters next is that the hospital still answers.
            }
            let hello = try await client.hello(.init())
            #expect(hello.name == "alice")
        }
        #expect(served.audit.contains("exceeds the limit"))
    }

    @Test("a round past the hospital's budget is refused as budget exhausted, and nothing is spent")
    func budget() async throws {
        let served = try await offPool { try ServedHospital(budget: 0.05) }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        let model = served.model.parameters
        do {
            _ = try await offPool { try remote.train(globalModel: model, settings: settings) { _ in } }
            Issue.record("a round past the budget was trained")
        } catch let error as HospitalError {
            guard case .budgetExhausted = error else { Issue.record("expected budget exhausted, got \(error)"); return }
        }
        #expect(served.hospital.epsilonSpent == 0)
    }

    @Test("a hospital that goes away is offline within seconds, and attached again when it is back")
    func reconnect() async throws {
        let served = try await offPool { try ServedHospital() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        let changes = Changes()
        remote.onConnectionChange { _, connected, _ in changes.append(connected) }
        let port = served.port, directory = served.directory, hospital = served.hospital
        try await served.stopAndWait()
        try await waitUntil(seconds: 10) { remote.status == .offline }
        let model = served.model.parameters
        await #expect(throws: HospitalError.offline(hospital: "alice")) {
            try await offPool { try remote.train(globalModel: model, settings: settings) { _ in } }
        }
        let back = try await offPool { try ServedHospital(port: port, directory: directory, hospital: hospital, consoleKey: served.consoleKey) }
        defer { back.stop() }
        try await waitUntil(seconds: 15) { remote.status == .idle }
        #expect(changes.values == [false, true])
        var second = settings
        second.round = 2
        let next = second
        let update = try await offPool { try remote.train(globalModel: model, settings: next) { _ in } }
        #expect(update.round == 2)
    }
}

final class Changes: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Bool] = []
    func append(_ v: Bool) { lock.withLock { list.append(v) } }
    var values: [Bool] { lock.withLock { list } }
}

func waitUntil(seconds: Double, _ condition: @Sendable () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { Issue.record("condition not met within \(seconds) s"); return }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Sends bytes as they are (to put what is not a protobuf message on the wire).
struct RawBytes: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

/// Reads an EvaluateReply.
struct ProtobufReply: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Fedtop_V1_EvaluateReply {
        try serializedMessageBytes.withUnsafeBytes { try Fedtop_V1_EvaluateReply(serializedBytes: Array($0)) }
    }
}
