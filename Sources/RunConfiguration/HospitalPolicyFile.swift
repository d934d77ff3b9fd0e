import Federation
import Foundation
import TOMLKit
import Transport

/// `fedtop hospital --policy FILE`: the hospital operator's privacy policy written down (TOML), so it is
/// reviewed and versioned like any other clinical rule. Flags given on the command line win over the
/// file. Keys (all optional):
///
/// ```toml
/// dp-sgd = "required"          # or "optional"
/// min-noise-multiplier = 0.8   # σ floor
/// max-clip-norm = 2.0          # C ceiling
/// max-round-epsilon = 0.5      # the largest ε one round may cost on its own
/// epsilon-budget = 3.0         # the ledger's budget (lowering is recorded; raising needs --raise-budget)
/// max-local-epochs = 5
/// max-steps = 20000
/// evaluations-per-round = 2    # evaluations answered per trained round ("any": no limit)
/// min-evaluation-records = 10  # the smallest test split metrics are reported on
/// ```
///
/// Contract: an unknown key, a value of the wrong type or out of range is an error naming the file and
/// the key (exit 2); nothing is created before the file is read.
public struct HospitalPolicyFile: Equatable {
    public var requiresDPSGD: Bool?
    public var minNoiseMultiplier: Double?
    public var maxClipNorm: Double?
    public var maxRoundEpsilon: Double?
    public var epsilonBudget: Double?
    public var maxLocalEpochs: Int?
    public var maxSteps: Int?
    /// `.some(nil)`: "any" (no limit).
    public var evaluationsPerRound: Int??
    public var minEvaluationRecords: Int?

    public static let keys = ["dp-sgd", "min-noise-multiplier", "max-clip-norm", "max-round-epsilon", "epsilon-budget",
                       "max-local-epochs", "max-steps", "evaluations-per-round", "min-evaluation-records"]

    public init() {}

    public init(path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw UsageError("--policy \(path): cannot read the policy file: \(error.localizedDescription)")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String) throws {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw UsageError("--policy \(path): not valid TOML: \(error)")
        }
        func number(_ key: String, _ value: TOMLValueConvertible) throws -> Double {
            guard let x = value.double ?? value.int.map(Double.init), x.isFinite else {
                throw UsageError("--policy \(path): \(key) must be a number")
            }
            return x
        }
        func count(_ key: String, _ value: TOMLValueConvertible) throws -> Int {
            guard let n = value.int, n >= 1 else { throw UsageError("--policy \(path): \(key) must be a whole number ≥ 1") }
            return n
        }
        for (key, value) in table {
            switch key {
            case "dp-sgd":
                switch value.string {
                case "required": requiresDPSGD = true
                case "optional": requiresDPSGD = false
                default: throw UsageError("--policy \(path): dp-sgd must be \"required\" or \"optional\"")
                }
            case "min-noise-multiplier": minNoiseMultiplier = try number(key, value)
            case "max-clip-norm": maxClipNorm = try number(key, value)
            case "max-round-epsilon": maxRoundEpsilon = try number(key, value)
            case "epsilon-budget": epsilonBudget = try number(key, value)
            case "max-local-epochs": maxLocalEpochs = try count(key, value)
            case "max-steps": maxSteps = try count(key, value)
            case "evaluations-per-round":
                if value.string == "any" {
                    evaluationsPerRound = .some(nil)
                } else {
                    guard let n = value.int, n >= 0 else {
                        throw UsageError("--policy \(path): evaluations-per-round must be a whole number ≥ 0 or \"any\"")
                    }
                    evaluationsPerRound = n
                }
            case "min-evaluation-records":
                guard let n = value.int, n >= 0 else { throw UsageError("--policy \(path): min-evaluation-records must be a whole number ≥ 0") }
                minEvaluationRecords = n
            default:
                throw UsageError("--policy \(path): unknown key '\(key)' (expected \(Self.keys.joined(separator: ", ")))")
            }
        }
        if let e = epsilonBudget, !(e > 0 && e.isFinite) { throw UsageError("--policy \(path): epsilon-budget must be a positive number") }
        do { _ = try resolved() } catch { throw UsageError("--policy \(path): \(error)") }
    }
}

extension HospitalPolicyFile {
    /// A hospital's rules once the file and the flags are read: the policy it checks every request
    /// against, the budget asked for (nil: the ledger's own) and its work limits.
    public struct Resolved: Equatable {
        public var policy: HospitalPolicy
        public var budget: Double?
        public var maxLocalEpochs: Int
        public var maxSteps: Int
    }

    /// These settings with every one `flags` sets replacing this one's (the command line wins over the file).
    public func overriding(with flags: HospitalPolicyFile) -> HospitalPolicyFile {
        var result = self
        result.requiresDPSGD = flags.requiresDPSGD ?? requiresDPSGD
        result.minNoiseMultiplier = flags.minNoiseMultiplier ?? minNoiseMultiplier
        result.maxClipNorm = flags.maxClipNorm ?? maxClipNorm
        result.maxRoundEpsilon = flags.maxRoundEpsilon ?? maxRoundEpsilon
        result.epsilonBudget = flags.epsilonBudget ?? epsilonBudget
        result.maxLocalEpochs = flags.maxLocalEpochs ?? maxLocalEpochs
        result.maxSteps = flags.maxSteps ?? maxSteps
        result.evaluationsPerRound = flags.evaluationsPerRound ?? evaluationsPerRound
        result.minEvaluationRecords = flags.minEvaluationRecords ?? minEvaluationRecords
        return result
    }

    /// The rules, each unset one at its standard value (DP-SGD required, ``HospitalPolicy``'s floors,
    /// ``WorkLimits/standard``); a rule out of range is a ``UsageError`` naming it.
    public func resolved() throws(UsageError) -> Resolved {
        let policy = HospitalPolicy(
            requiresDPSGD: requiresDPSGD ?? true,
            minNoiseMultiplier: minNoiseMultiplier ?? HospitalPolicy.standardMinNoiseMultiplier,
            maxClipNorm: maxClipNorm, maxRoundEpsilon: maxRoundEpsilon,
            evaluationsPerRound: evaluationsPerRound ?? HospitalPolicy.standardEvaluationsPerRound,
            minEvaluationRecords: minEvaluationRecords ?? HospitalPolicy.standardMinEvaluationRecords)
        if let problem = policy.problem { throw UsageError("the privacy policy: \(problem)") }
        if let budget = epsilonBudget, !(budget > 0 && budget.isFinite) {
            throw UsageError("--epsilon-budget \(budget): must be a positive number")
        }
        let epochs = maxLocalEpochs ?? WorkLimits.standard.maxLocalEpochs
        let steps = maxSteps ?? WorkLimits.standard.maxStepsPerRound
        guard epochs >= 1, steps >= 1 else { throw UsageError("--max-local-epochs and --max-steps must be ≥ 1") }
        return Resolved(policy: policy, budget: epsilonBudget, maxLocalEpochs: epochs, maxSteps: steps)
    }

    /// `--evaluations-per-round`: a whole number ≥ 0, or `any` (`.some(nil)`: no limit).
    public static func evaluations(parsing text: String) throws(UsageError) -> Int?? {
        if text == "any" { return .some(nil) }
        guard let n = Int(text), n >= 0 else {
            throw UsageError("--evaluations-per-round '\(text)': expected a whole number ≥ 0 or 'any'")
        }
        return n
    }
}
