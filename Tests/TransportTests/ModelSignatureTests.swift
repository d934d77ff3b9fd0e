
import Federation
import TensorCore
import Testing
@testable import Transport

@Suite("Model signatures (Ed25519 over the canonical bytes)")
struct ModelSignatureTests {
    static let settings = RoundSettings(round: 3, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0.5,
                                        samplePrivacy: .init(noiseMultiplier: 1.1, clipNorm: 1.0))
    static let signed = ModelSignature(purpose: .train, runID: "run-1", nonce: Array(0..<16), architecture: "mlp",
                                       settings: settings, shapes: [("fc1.weight", [4, 3]), ("fc1.bias", [4])])
    static let parameters = Tensor((0..<16).map { Float($0) / 7 })

    @Test("a signature verifies for exactly what was signed")
    func verifies() throws {
        let key = ModelSigningKey()
        let signature = Self.signed.sign(parameters: Self.parameters, with: key)
        #expect(Self.signed.verify(signature, parameters: Self.parameters, with: key.verifyingKey))
        #expect(!Self.signed.verify(signature, parameters: Self.parameters, with: ModelSigningKey().verifyingKey))
    }

    @Test("changing any signed field, or one bit of one weight, breaks the signature")
    func tamper() throws {
        let key = ModelSigningKey()
        let signature = Self.signed.sign(parameters: Self.parameters, with: key)
        var variants: [ModelSignature] = []
        var v = Self.signed; v.purpose = .evaluate; variants.append(v)
        v = Self.signed; v.runID = "run-2"; variants.append(v)
        v = Self.signed; v.nonce[0] ^= 1; variants.append(v)
        v = Self.signed; v.architecture = "logistic"; variants.append(v)
        v = Self.signed; v.settings!.round = 4; variants.append(v)
        v = Self.signed; v.settings!.localEpochs = 50; variants.append(v)
        v = Self.signed; v.settings!.learningRate = 0.2; variants.append(v)
        v = Self.signed; v.settings!.samplePrivacy!.noiseMultiplier = 0.1; variants.append(v)
        v = Self.signed; v.settings!.samplePrivacy = nil; variants.append(v)
        v = Self.signed; v.settings = nil; variants.append(v)
        v = Self.signed; v.shapes[0].dims = [3, 4]; variants.append(v)
        for variant in variants {
            #expect(!variant.verify(signature, parameters: Self.parameters, with: key.verifyingKey))
        }
        var flipped = Self.parameters.scalars
        flipped[9] = Float(bitPattern: flipped[9].bitPattern ^ 1)
        #expect(!Self.signed.verify(signature, parameters: Tensor(flipped), with: key.verifyingKey))
        var truncated = signature
        truncated.removeLast()
        #expect(!Self.signed.verify(truncated, parameters: Self.parameters, with: key.verifyingKey))
    }
}

@Suite("Work limits, rate limits, hospital addresses")
struct TransportLimitTests {
    @Test("a request beyond a limit is named; one within passes")
    func workLimits() {
        let limits = WorkLimits(maxParameters: 1_000, maxLocalEpochs: 5, maxStepsPerRound: 100, maxBatchSize: 64)
        let ok = RoundSettings(round: 1, localEpochs: 2, batchSize: 32, learningRate: 0.1, momentum: 0,
                               samplePrivacy: .init(noiseMultiplier: 1, clipNorm: 1))
        #expect(limits.problem(parameters: 1_000, settings: ok, trainRecords: 320) == nil)
        #expect(limits.problem(parameters: 1_001, settings: ok, trainRecords: 320)?.contains("parameters") == true)
        var s = ok; s.localEpochs = 6
        #expect(limits.problem(parameters: 10, settings: s, trainRecords: 320)?.contains("local epochs") == true)
        s = ok; s.batchSize = 65
        #expect(limits.problem(parameters: 10, settings: s, trainRecords: 320)?.contains("batch size") == true)
        // batch 1 on 320 records: 2 epochs × 320 steps = 640 > 100.
        s = ok; s.batchSize = 1
        #expect(limits.problem(parameters: 10, settings: s, trainRecords: 320)?.contains("steps") == true)
        s = ok; s.learningRate = -1
        #expect(limits.problem(parameters: 10, settings: s, trainRecords: 320)?.contains("learning rate") == true)
        s = ok; s.samplePrivacy = .init(noiseMultiplier: -1, clipNorm: 1)
        #expect(limits.problem(parameters: 10, settings: s, trainRecords: 320) != nil)
    }

    @Test("each peer gets its burst, then its rate; other peers are not affected")
    func rateLimiter() {
        let limiter = RateLimiter(ratePerSecond: 2, burst: 3)
        #expect((0..<3).allSatisfy { _ in limiter.allow("a", now: 100) })
        #expect(!limiter.allow("a", now: 100))
        #expect(limiter.allow("b", now: 100))
        #expect(!limiter.allow("a", now: 100.4))
        #expect(limiter.allow("a", now: 100.6))
        #expect(HospitalService.peerHost("ipv4:10.0.0.5:53122") == "ipv4:10.0.0.5")
        #expect(HospitalService.peerHost("ipv6:[::1]:53122") == "ipv6:[::1]")
    }

    @Test("hospital addresses parse, and bad ones say what is wrong")
    func endpoints() throws {
        let e = try RemoteHospital.Endpoint(parsing: "grpcs://alice@10.0.0.5:7443")
        #expect(e.host == "10.0.0.5" && e.port == 7443 && e.expectedName == "alice" && !e.insecure)
        let v6 = try RemoteHospital.Endpoint(parsing: "grpc://[::1]:9000")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.insecure && v6.address == "[::1]:9000")
        #expect(try RemoteHospital.Endpoint(parsing: "grpcs://h.example.org:1").description == "grpcs://h.example.org:1")
        for bad in ["http://a:1", "grpcs://a", "grpcs://a:0", "grpcs://a:70000", "grpcs://::1:80", "grpcs://@a:1", "grpcs://a b:1", "grpcs://:1"] {
            #expect(throws: TransportError.self, "\(bad)") { try RemoteHospital.Endpoint(parsing: bad) }
        }
    }
}
