import Federation
import Testing
@testable import RunConfiguration

/// `fedtop hospital --policy FILE`: every key read, every bad value refused naming the file and the key.
@Suite("HospitalPolicyFile: the operator's policy written down")
struct HospitalPolicyFileTests {
    @Test("every key is read, including the evaluation rules ('any' lifts the evaluation limit)")
    func readsEveryKey() throws {
        let file = try HospitalPolicyFile(text: """
            dp-sgd = "optional"
            min-noise-multiplier = 0.9
            max-clip-norm = 2
            max-round-epsilon = 0.25
            epsilon-budget = 4
            max-local-epochs = 3
            max-steps = 500
            evaluations-per-round = 1
            min-evaluation-records = 30
            """, path: "p.toml")
        #expect(file.requiresDPSGD == false && file.minNoiseMultiplier == 0.9 && file.maxClipNorm == 2)
        #expect(file.maxRoundEpsilon == 0.25 && file.epsilonBudget == 4 && file.maxLocalEpochs == 3 && file.maxSteps == 500)
        #expect(file.evaluationsPerRound == .some(1) && file.minEvaluationRecords == 30)
        let any = try HospitalPolicyFile(text: "evaluations-per-round = \"any\"\n", path: "p.toml")
        #expect(any.evaluationsPerRound == .some(nil))
        #expect(try HospitalPolicyFile(text: "", path: "p.toml").evaluationsPerRound == nil)
    }

    @Test("a bad value is refused naming the file and the key", arguments: [
        ("evaluations-per-round = -1", "evaluations-per-round"),
        ("evaluations-per-round = \"lots\"", "evaluations-per-round"),
        ("min-evaluation-records = 2.5", "min-evaluation-records"),
        ("min-noise-multiplier = -1", "minimum noise multiplier"),
        ("max-steps = 0", "max-steps"),
        ("evaluation-per-round = 1", "unknown key 'evaluation-per-round'"),
    ])
    func refusesBadValues(_ text: String, _ named: String) {
        do {
            _ = try HospitalPolicyFile(text: text + "\n", path: "ops/policy.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains("--policy ops/policy.toml") && "\(error)".contains(named), "\(error)")
        }
    }

    @Test("flags win over the file one rule at a time; unset rules take the standard values; a bad rule names itself")
    func flagsOverride() throws {
        let file = try HospitalPolicyFile(text: "min-noise-multiplier = 0.8\nmax-clip-norm = 2.0\nepsilon-budget = 5.0\n", path: "p.toml")
        var flags = HospitalPolicyFile()
        flags.minNoiseMultiplier = 1.2
        flags.evaluationsPerRound = try HospitalPolicyFile.evaluations(parsing: "any")
        let rules = try file.overriding(with: flags).resolved()
        #expect(rules.policy.minNoiseMultiplier == 1.2 && rules.policy.maxClipNorm == 2.0 && rules.budget == 5)
        #expect(rules.policy.requiresDPSGD && rules.policy.evaluationsPerRound == nil)
        #expect(rules.policy.minEvaluationRecords == HospitalPolicy.standardMinEvaluationRecords)
        #expect(try HospitalPolicyFile().resolved().budget == nil)
        #expect(throws: UsageError.self) { try HospitalPolicyFile.evaluations(parsing: "-1") }
        flags.epsilonBudget = 0
        #expect(throws: UsageError("--epsilon-budget 0.0: must be a positive number")) { try file.overriding(with: flags).resolved() }
    }
}
