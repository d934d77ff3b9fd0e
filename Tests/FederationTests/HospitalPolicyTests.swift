import Federation
import Privacy
import TensorCore
import Testing

@Suite("HospitalPolicy: a hospital's own rules, checked on every round")
struct HospitalPolicyTests {
    static func settings(sigma: Double? = 1, clip: Double = 1, epochs: Int = 1, batch: Int = 32) -> RoundSettings {
        RoundSettings(round: 1, localEpochs: epochs, batchSize: batch, learningRate: 0.1, momentum: 0,
                      samplePrivacy: sigma.map { .init(noiseMultiplier: $0, clipNorm: clip) })
    }

    @Test("the default policy requires DP-SGD and a noise floor of 0.5; the permissive one accepts anything valid")
    func defaults() {
        let policy = HospitalPolicy()
        #expect(policy.violation(of: Self.settings(sigma: nil), spend: nil, delta: 1e-5)?.contains("DP-SGD is required") == true)
        #expect(policy.violation(of: Self.settings(sigma: 0.3), spend: nil, delta: 1e-5)?.contains("below the policy's floor") == true)
        #expect(policy.violation(of: Self.settings(sigma: 0.5), spend: nil, delta: 1e-5) == nil)
        #expect(HospitalPolicy.permissive.violation(of: Self.settings(sigma: nil), spend: nil, delta: nil) == nil)
        #expect(HospitalPolicy.permissive.violation(of: Self.settings(sigma: 0), spend: nil, delta: nil) == nil)
    }

    @Test("the clip ceiling and the per-round ε limit refuse exactly the rounds above them")
    func ceilings() throws {
        let policy = HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0, maxClipNorm: 2, maxRoundEpsilon: 1)
        #expect(policy.violation(of: Self.settings(clip: 2), spend: nil, delta: 1e-5) == nil)
        #expect(policy.violation(of: Self.settings(clip: 2.01), spend: nil, delta: 1e-5)?.contains("clip norm") == true)
        let cheap = try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1.1, steps: 10)
        let costly = try PrivacySegment(sampleRate: 0.5, noiseMultiplier: 0.6, steps: 200)
        #expect(HospitalPolicy.roundEpsilon(cheap, delta: 1e-5) < 1)
        #expect(HospitalPolicy.roundEpsilon(costly, delta: 1e-5) > 1)
        #expect(policy.violation(of: Self.settings(), spend: cheap, delta: 1e-5) == nil)
        #expect(policy.violation(of: Self.settings(), spend: costly, delta: 1e-5)?.contains("on its own") == true)
    }

    @Test("a policy with a NaN, negative or infinite rule is itself refused")
    func invalidPolicies() {
        #expect(HospitalPolicy(minNoiseMultiplier: .nan).problem != nil)
        #expect(HospitalPolicy(minNoiseMultiplier: -1).problem != nil)
        #expect(HospitalPolicy(maxClipNorm: 0).problem != nil)
        #expect(HospitalPolicy(maxRoundEpsilon: .infinity).problem != nil)
        #expect(HospitalPolicy().problem == nil)
    }

    @Test("a local hospital obeys its policy: a round without DP is refused before training, nothing spent")
    func localHospitalObeys() throws {
        let f = try FederationFixture(hospitals: 1, privacy: true, policy: HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0.8))
        let h = f.hospitals[0]
        #expect(throws: HospitalError.self) {
            try h.train(globalModel: f.model.parameters, settings: Self.settings(sigma: nil)) { _ in }
        }
        #expect(throws: HospitalError.self) {
            try h.train(globalModel: f.model.parameters, settings: Self.settings(sigma: 0.7)) { _ in }
        }
        #expect(h.epsilonSpent == 0)
        _ = try h.train(globalModel: f.model.parameters, settings: Self.settings(sigma: 0.9)) { _ in }
        #expect(h.epsilonSpent > 0)
        #expect(try h.summary().policy?.minNoiseMultiplier == 0.8)
    }
}

@Suite("UpdateNormBound and UpdateValidator: no absurd update is aggregated by default")
struct UpdateNormBoundTests {
    @Test("the DP-SGD bound is above every honest update of a real round, and far below 1e30")
    func dpBoundHoldsForHonestUpdates() throws {
        let f = try FederationFixture(hospitals: 1, privacy: true)
        let settings = HospitalPolicyTests.settings(sigma: 1, clip: 1, epochs: 2, batch: 16)
        let h = f.hospitals[0]
        let bound = try #require(UpdateNormBound.samplePrivacy(settings: settings, records: h.trainRecords, parameters: f.model.parameterCount))
        for round in 1...3 {
            var s = settings
            s.round = round
            let update = try h.train(globalModel: f.model.parameters, settings: s) { _ in }
            #expect(update.delta.norm() < bound / 2, "round \(round): \(update.delta.norm()) vs \(bound)")
        }
        #expect(bound < 1e6)
    }

    @Test("the validator refuses forged counts, NaN or negative losses, bad fractions and a 1e30 update under DP-SGD")
    func validatorRefuses() throws {
        let v = UpdateValidator(parameterCount: 4)
        let settings = HospitalPolicyTests.settings()
        func update(_ change: (inout HospitalUpdate) -> Void) -> HospitalUpdate {
            var u = HospitalUpdate(hospital: "h", round: 1, delta: Tensor([0.1, 0.1, 0.1, 0.1]), sampleCount: 100, trainLoss: 0.5,
                                   clippedFraction: 0.2, spend: nil, epsilonSpent: 1, secureNoise: true, seconds: 1)
            change(&u)
            return u
        }
        #expect(v.problem(with: update { _ in }, round: 1, records: 100, settings: settings) == nil)
        #expect(v.problem(with: update { $0.sampleCount = Int.max }, round: 1, records: 100)?.contains("records") == true)
        #expect(v.problem(with: update { $0.trainLoss = .nan }, round: 1) != nil)
        #expect(v.problem(with: update { $0.trainLoss = -1 }, round: 1) != nil)
        #expect(v.problem(with: update { $0.clippedFraction = 1.5 }, round: 1) != nil)
        #expect(v.problem(with: update { $0.epsilonSpent = .infinity }, round: 1) != nil)
        #expect(v.problem(with: update { $0.delta = Tensor([1e30, 1e30, 1e30, 1e30]) }, round: 1, records: 100, settings: settings)?
            .contains("norm") == true)
        // The norm the check computed comes back with it, bit for bit `delta.norm()`; none for a non-finite update.
        let checked = v.check(update { _ in }, round: 1, records: 100, settings: settings)
        #expect(checked.problem == nil && checked.norm == Tensor([0.1, 0.1, 0.1, 0.1]).norm())
        #expect(v.check(update { _ in }, round: 1).norm == Tensor([0.1, 0.1, 0.1, 0.1]).norm())
        let nan = v.check(update { $0.delta = Tensor([0.1, .nan, 0.1, 0.1]) }, round: 1)
        #expect(nan.norm == nil && nan.problem?.contains("non-finite") == true)
        #expect(v.check(update { $0.delta = Tensor([Float.greatestFiniteMagnitude, 1, 1, 1]) }, round: 1).norm?.isFinite == true)
        #expect(v.check(update { $0.delta = Tensor([1e30, 1e30, 1e30, 1e30]) }, round: 1, records: 100, settings: settings).norm == Tensor([1e30, 1e30, 1e30, 1e30]).norm())
    }

    @Test("the robust bound: 10× the lower median, nil below two updates; the model bound at 1,000× its norm")
    func robustBound() {
        #expect(UpdateNormBound.relative(to: [1]) == nil)
        #expect(UpdateNormBound.relative(to: [1, 1e30]) == 10)
        #expect(UpdateNormBound.relative(to: [2, 1, 3]) == 20)
        #expect(UpdateNormBound.model(globalNorm: 0.1) == 1_000)
        #expect(UpdateNormBound.model(globalNorm: 5) == 5_000)
    }
}
