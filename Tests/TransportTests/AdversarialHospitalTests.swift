import Datasets
import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import TensorCore
import Testing
@testable import Transport

/// A dishonest hospital: authenticated by the federation's CA (real mutual TLS), speaking the real
/// proto, but every number it sends is whatever the test says. Train and Evaluate drain the model
/// and answer with the forged header, values or metrics.
final class ForgingHospital: Fedtop_V1_Hospital.SimpleServiceProtocol, @unchecked Sendable {
    /// What it announces: 100 training and 30 test records of WDBC's shape.
    var hello: Fedtop_V1_HelloReply
    var header: Fedtop_V1_UpdateHeader
    var values: (Int) -> [Float]
    var evaluation: Fedtop_V1_EvaluateReply
    var secureReply: Fedtop_V1_SecureTrainReply
    /// Send the update's values without the header chunk.
    var omitHeader = false

    init() {
        hello = .with {
            $0.protocolVersion = WireFormat.protocolVersion
            $0.name = "mallory"
            $0.capabilities = ["train", "evaluate", "status"]
            $0.dataset = .with {
                $0.name = "wdbc"
                $0.trainRecords = 100
                $0.testRecords = 30
                $0.classCounts = [60, 40]
                $0.classNames = ["benign", "malignant"]
                $0.featureShape = [30]
            }
        }
        header = .with {
            $0.round = 1
            $0.sampleCount = 100
            $0.trainLoss = 0.5
            $0.clippedFraction = 0
        }
        values = { Array(repeating: 0.001, count: $0) }
        evaluation = .with {
            $0.count = 30
            $0.loss = 0.4
            $0.accuracy = 0.9
        }
        secureReply = .with { $0.round = 1; $0.trainLoss = 0.5 }
    }

    func hello(request: Fedtop_V1_HelloRequest, context: ServerContext) async throws -> Fedtop_V1_HelloReply { hello }

    func train(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>, response: RPCWriter<Fedtop_V1_UpdateChunk>,
               context: ServerContext) async throws {
        var count = 0
        var round: UInt64 = 1
        for try await chunk in request {
            if chunk.hasHeader {
                count = Int(chunk.header.parameterCount)
                round = chunk.header.settings.round
            }
        }
        var head = header
        if head.round == 1 { head.round = round }  // follows the console's round unless the test forges it
        if head.parameterCount == 0 { head.parameterCount = UInt64(count) }
        var chunks = WireFormat.updateChunks(head, Tensor(values(count)))
        if omitHeader { chunks = chunks.map { var c = $0; c.clearHeader(); return c } }
        try await response.write(contentsOf: chunks)
    }

    func evaluate(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>, context: ServerContext) async throws -> Fedtop_V1_EvaluateReply {
        for try await _ in request {}
        return evaluation
    }

    func status(request: Fedtop_V1_StatusRequest, response: RPCWriter<Fedtop_V1_StatusUpdate>, context: ServerContext) async throws {
        // Forged progress and ε, then the stream ends (the console reopens it): nothing here may trap.
        try await response.write(.with { $0.state = .training; $0.epsilonSpent = .nan; $0.stepsDone = .max; $0.stepsTotal = 1 })
        try? await Task.sleep(for: .milliseconds(200))
    }

    func secureTrain(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>, context: ServerContext) async throws -> Fedtop_V1_SecureTrainReply {
        for try await _ in request {}
        return secureReply
    }

    func shareKeys(request: Fedtop_V1_ShareKeysRequest, context: ServerContext) async throws -> Fedtop_V1_ShareKeysReply {
        throw RPCError(code: .unimplemented, message: "no")
    }

    func maskedInput(request: Fedtop_V1_MaskedInputRequest, response: RPCWriter<Fedtop_V1_MaskedInputChunk>,
                     context: ServerContext) async throws {
        throw RPCError(code: .unimplemented, message: "no")
    }

    func unmask(request: Fedtop_V1_UnmaskRequest, context: ServerContext) async throws -> Fedtop_V1_UnmaskReply {
        throw RPCError(code: .unimplemented, message: "no")
    }
}

/// Serves `fake` over mutual TLS with mallory's certificate from `federation`, and connects the
/// console to it (its credentials, its model-signing key) during `body`.
func withForgingHospital(_ fake: ForgingHospital, federation: ProvisionedFederation,
                         _ body: @Sendable (RemoteHospital) async throws -> Void) async throws {
    let transport = try federation.hospital("mallory").makeServerTransport(host: "127.0.0.1", port: 0, deadlineSeconds: 60,
                                                                           onRefused: { _ in })
    try await withGRPCServer(transport: transport, services: [fake]) { _ in
        let port = try #require(await transport.listeningAddress?.ipv4?.port)
        let console = try federation.console()
        let model = try ModelZoo.make("mlp", inputShape: [30], classes: 2, seed: 1)
        let remote = try await offPool {
            let endpoint = try RemoteHospital.Endpoint(parsing: "grpcs://127.0.0.1:\(port)")
            let r = try RemoteHospital.connect(to: endpoint, makeTransport: { config in
                try console.makeClientTransport(host: "127.0.0.1", port: port, expectedHospital: nil, config: config) { _ in }
            }, runID: "adversarial", signingKey: console.modelSigningKey, options: .patient)
            try r.adopt(model)
            return r
        }
        defer { remote.close() }
        try await body(remote)
    }
}

/// A value set from inside a closure.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

let adversarialSettings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)

@Suite("A dishonest hospital over mutual TLS: every forged number is refused, nothing crashes", .serialized)
struct AdversarialHospitalTests {
    static let federation = Result { try ProvisionedFederation(hospitals: ["mallory"]) }

    /// Trains once against a hospital forging `forge`, returning the error the console raised.
    func trainError(_ forge: (ForgingHospital) -> Void, settings: RoundSettings = adversarialSettings) async throws -> HospitalError? {
        let fake = ForgingHospital()
        forge(fake)
        let result = Box<HospitalError?>(nil)
        try await withForgingHospital(fake, federation: try Self.federation.get()) { remote in
            let model = try ModelZoo.make("mlp", inputShape: [30], classes: 2, seed: 1)
            let outcome = try await offPool { () -> HospitalError? in
                do throws(HospitalError) {
                    _ = try remote.train(globalModel: model.parameters, settings: settings) { _ in }
                    return nil
                } catch { return error }
            }
            result.value = outcome
        }
        return result.value
    }

    @Test("an honest reply from the fake is accepted (the fixture itself is sound)")
    func honestBaseline() async throws {
        #expect(try await trainError { _ in } == nil)
    }

    @Test("an update claiming 2^64 − 1 records, 0 records, or more than Hello announced is refused as a bad reply")
    func forgedSampleCounts() async throws {
        for count: UInt64 in [.max, 0, 101, UInt64(Int.max)] {
            let error = try await trainError { $0.header.sampleCount = count }
            guard case .failed(_, let reason)? = error else { Issue.record("count \(count): \(String(describing: error))"); continue }
            #expect(reason.contains("records"), "\(reason)")
        }
    }

    @Test("NaN or ∞ training loss, a clipped fraction outside [0, 1] and NaN ε spent are refused")
    func forgedMetrics() async throws {
        let forgeries: [(String, (ForgingHospital) -> Void)] = [
            ("loss NaN", { $0.header.trainLoss = .nan }), ("loss ∞", { $0.header.trainLoss = .infinity }),
            ("loss < 0", { $0.header.trainLoss = -1 }), ("clipped 2", { $0.header.clippedFraction = 2 }),
            ("ε NaN", { $0.header.epsilonSpent = .nan }), ("ε −1", { $0.header.epsilonSpent = -1 }),
        ]
        for (what, forge) in forgeries {
            let error = try await trainError(forge)
            guard case .failed(_, let reason)? = error else { Issue.record("\(what): \(String(describing: error))"); continue }
            #expect(reason.contains("bad reply"), "\(what): \(reason)")
        }
    }

    @Test("a wrong length (the header's or the values'), a missing header and a wrong round are refused")
    func forgedShapes() async throws {
        let wrongCount = try await trainError { $0.header.parameterCount = 7 }
        #expect(wrongCount != nil)
        let shortValues = try await trainError { fake in fake.values = { Array(repeating: 0, count: $0 - 1) } }
        #expect(shortValues != nil)
        let noHeader = try await trainError { $0.omitHeader = true }
        guard case .failed(_, let missing)? = noHeader else { Issue.record("\(String(describing: noHeader))"); return }
        #expect(missing.contains("no header"), "\(missing)")
        let wrongRound = try await trainError { $0.header.round = 9 }
        guard case .failed(_, let reason)? = wrongRound else { Issue.record("\(String(describing: wrongRound))"); return }
        #expect(reason.contains("round 9"))
    }

    @Test("a spend other than the round's (σ lowered by the hospital) is refused: the console's accounting relies on it")
    func forgedSpend() async throws {
        let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                                     samplePrivacy: .init(noiseMultiplier: 1.1, clipNorm: 1))
        let error = try await trainError({ fake in
            fake.hello.privacy = .with { $0.dpSgd = true; $0.epsilonBudget = 10; $0.delta = 1e-5 }
            let (q, steps) = DPSGDRound.sampling(records: 100, batchSize: 32, localEpochs: 1)
            fake.header.spend = .with { $0.sampleRate = q; $0.noiseMultiplier = 0.01; $0.steps = UInt64(steps) }
        }, settings: settings)
        guard case .failed(_, let reason)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(reason.contains("not the round's"), "\(reason)")
    }

    @Test("an evaluation with a count of 2^64 − 1, NaN loss or accuracy above 1 is refused as a bad reply")
    func forgedEvaluations() async throws {
        let forgeries: [(ForgingHospital) -> Void] = [
            { $0.evaluation.count = .max }, { $0.evaluation.count = 0 }, { $0.evaluation.loss = .nan },
            { $0.evaluation.accuracy = 1.5 }, { $0.evaluation.auc = -0.1 },
        ]
        for forge in forgeries {
            let fake = ForgingHospital()
            forge(fake)
            try await withForgingHospital(fake, federation: try Self.federation.get()) { remote in
                let model = try ModelZoo.make("mlp", inputShape: [30], classes: 2, seed: 1)
                let failed = try await offPool { () -> Bool in
                    do { _ = try remote.evaluate(globalModel: model.parameters); return false } catch { return true }
                }
                #expect(failed)
            }
        }
    }

    @Test("a Hello with impossible counts or a broken policy is refused at attach, naming the hospital")
    func forgedHello() async throws {
        let forgeries: [(ForgingHospital) -> Void] = [
            { $0.hello.dataset.trainRecords = .max }, { $0.hello.dataset.trainRecords = 0 },
            { $0.hello.dataset.classCounts = [.max, 2] }, { $0.hello.dataset.featureShape = [1 << 20, 1 << 20] },
            { $0.hello.privacy = .with { $0.dpSgd = true; $0.epsilonBudget = .nan; $0.delta = 1e-5 } },
            { $0.hello.policy = .with { $0.minNoiseMultiplier = .nan } },
            { $0.hello.adversarial = .with { $0.spec = "pgd:1e308:5"; $0.ratio = 0.5 } },
            { $0.hello.adversarial = .with { $0.spec = "fgsm:0.3"; $0.ratio = .nan } },
            { $0.hello.adversarial = .with { $0.spec = String(repeating: "x", count: 1 << 20); $0.ratio = 0.5 } },
        ]
        for forge in forgeries {
            let fake = ForgingHospital()
            forge(fake)
            await #expect(throws: (any Error).self) {
                try await withForgingHospital(fake, federation: try Self.federation.get()) { _ in }
            }
        }
    }

    @Test("the engine runs on when one of three hospitals forges 2^64 − 1 records every round: its updates are refused, the model stays finite")
    func engineSurvivesForgedCounts() async throws {
        let fake = ForgingHospital()
        fake.header.sampleCount = .max
        fake.evaluation.count = .max
        let data = try Partitioner.partition(try BuiltinDataset.wdbc(), hospitals: 2, scheme: .iid, testFraction: 0.2, seed: 1)
        let model = try ModelZoo.make("mlp", inputShape: [30], classes: 2, seed: 1)
        let gate = ComputeGate()
        let locals = try data.enumerated().map { i, share in
            try LocalHospital(name: "honest-\(i + 1)", data: share, architecture: model, privacy: nil, seed: UInt64(i), gate: gate)
        }
        try await withForgingHospital(fake, federation: try Self.federation.get()) { remote in
            let configuration = EngineConfiguration(
                name: "adversarial", dataset: "wdbc", rounds: 3, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                privacy: .off, noiseMultiplier: 0, clipNorm: 1, delta: 1e-5, epsilonBudget: nil, selection: .count(3), quorum: 2,
                deadline: nil, seed: 1)
            let engine = try Engine(configuration: configuration, model: model, hospitals: locals + [remote], strategy: FedAvg())
            let subscription = engine.bus.subscribe(capacity: 100_000)
            let outcome = try await offPool {
                engine.start()
                return engine.wait()
            }
            var events: [EngineEvent] = []
            while let e = subscription.next(timeout: 0) { events.append(e) }
            #expect(outcome == .finished)
            let completed = events.compactMap { if case .roundCompleted(let s) = $0.kind { return s } else { return nil } }
            #expect(completed.count == 3)
            #expect(completed.allSatisfy { $0.aggregated == 2 && $0.evaluation.map { $0.count < 1_000 } == true })
            let refusals = events.filter {
                if case .hospitalDropped(let h, let reason) = $0.kind { return h == "mallory" && reason.contains("records") }
                return false
            }
            #expect(refusals.count == 3)
            #expect(engine.globalModel.parameters.isFinite)
        }
    }
}
