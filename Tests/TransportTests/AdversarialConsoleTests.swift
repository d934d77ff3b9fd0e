import Federation
import Foundation
import GRPCCore
import TensorCore
import Testing
@testable import Transport

/// A console that asks more than the hospital's policy allows. The hospital (the real HospitalService
/// over gRPC) must refuse before touching a record, answer generically, log the rule, and leave its
/// ledger byte for byte as it was.
@Suite("A dishonest console against a hospital's own privacy policy", .serialized)
struct AdversarialConsoleTests {
    /// A hospital that requires DP-SGD with σ ≥ 0.8, C ≤ 2 and at most ε 0.5 per round.
    static let strict = HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0.8, maxClipNorm: 2, maxRoundEpsilon: 0.5)

    func refusal(_ settings: RoundSettings, policy: HospitalPolicy = strict) async throws -> (HospitalError?, ServedHospital, Data) {
        let served = try await offPool { try ServedHospital(policy: policy) }
        let before = served.ledgerBytes
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        let model = served.model.parameters
        let error = try await offPool { () -> HospitalError? in
            do throws(HospitalError) {
                _ = try remote.train(globalModel: model, settings: settings) { _ in }
                return nil
            } catch { return error }
        }
        return (error, served, before)
    }

    @Test("Hello carries the hospital's policy to the console")
    func helloCarriesPolicy() async throws {
        let served = try await offPool { try ServedHospital(policy: Self.strict) }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        #expect(remote.introduction.summary.policy == Self.strict)
    }

    @Test("a round without DP-SGD (no sample_privacy) is refused by the policy; nothing trained, the ledger unchanged")
    func noDPRefused() async throws {
        let noDP = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)
        let (error, served, before) = try await refusal(noDP)
        defer { served.stop() }
        guard case .policyRefused? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(served.ledgerBytes == before)
        #expect(served.hospital.epsilonSpent == 0)
        #expect(served.audit.contains("DP-SGD is required"))
        #expect(!served.audit.contains("\"trained\""))
    }

    @Test("the default policy of a production hospital requires DP-SGD too")
    func defaultPolicyRequiresDP() async throws {
        let noDP = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)
        let (error, served, before) = try await refusal(noDP, policy: HospitalPolicy())
        defer { served.stop() }
        guard case .policyRefused? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(served.ledgerBytes == before)
    }

    @Test("σ below the floor, C above the ceiling, or a round costing more than the policy's ε per round is refused; the ledger unchanged")
    func rulesRefused() async throws {
        let cases: [(String, RoundSettings)] = [
            ("below the policy's floor", RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                                                        samplePrivacy: .init(noiseMultiplier: 0.5, clipNorm: 1))),
            ("above the policy's maximum 2", RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                                                            samplePrivacy: .init(noiseMultiplier: 1, clipNorm: 5))),
            ("on its own", RoundSettings(round: 1, localEpochs: 20, batchSize: 128, learningRate: 0.1, momentum: 0,
                                         samplePrivacy: .init(noiseMultiplier: 0.8, clipNorm: 1))),
        ]
        for (rule, settings) in cases {
            let (error, served, before) = try await refusal(settings)
            defer { served.stop() }
            guard case .policyRefused? = error else { Issue.record("\(rule): \(String(describing: error))"); continue }
            #expect(served.ledgerBytes == before, "\(rule)")
            #expect(served.audit.contains(rule), "\(rule): \(served.audit)")
        }
    }

    @Test("a round within the policy trains and pays its ledger")
    func withinPolicyTrains() async throws {
        let ok = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                               samplePrivacy: .init(noiseMultiplier: 5, clipNorm: 1))
        let (error, served, before) = try await refusal(ok)
        defer { served.stop() }
        #expect(error == nil)
        #expect(served.ledgerBytes != before && served.hospital.epsilonSpent > 0)
    }

    @Test("Evaluate is checked against the policy too: one evaluation per trained round, then refused (generic status, rule in the log) until the next round")
    func evaluationsLimited() async throws {
        let policy = HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0.8, evaluationsPerRound: 1, minEvaluationRecords: 10)
        let served = try await offPool { try ServedHospital(policy: policy) }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        #expect(remote.introduction.summary.policy == policy)
        let model = served.model.parameters
        func evaluate() async throws -> HospitalError? {
            try await offPool { () -> HospitalError? in
                do throws(HospitalError) { _ = try remote.evaluate(globalModel: model); return nil } catch { return error }
            }
        }
        #expect(try await evaluate() == nil)
        let second = try await evaluate()
        guard case .policyRefused? = second else { Issue.record("\(String(describing: second))"); return }
        #expect(served.audit.contains("per trained round"), "\(served.audit)")
        let ok = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                               samplePrivacy: .init(noiseMultiplier: 1, clipNorm: 1))
        _ = try await offPool { try remote.train(globalModel: model, settings: ok) { _ in } }
        #expect(try await evaluate() == nil)
        #expect(try await evaluate() != nil)
    }
}
