import Foundation

/// What the engine costs around the work it coordinates (`fedtop bench rounds`).
///
/// - Overhead: 10 local WDBC hospitals (MLP, sample-level DP-SGD at ε = 8, every hospital every round,
///   signed checkpoints, ledgers, event files — a real run folder). The time between two round
///   completions that is neither hospital training nor the aggregation arithmetic is the engine's
///   overhead (``RoundTimings``); the issue's bound is 5 % of the round.
/// - Scale: `largeFederation` local hospitals holding small partitions of `lesions`, 10 per round,
///   beside 10 hospitals holding partitions of the same size, all 10 per round (the same per-round
///   work, so without the live membership audit, whose targets grow with the records held): peak
///   resident memory (bound 1 GiB) and the median round time (bound 1.5× the 10-hospital one).
///
/// Contract: each scenario runs in a process of its own (``ScenarioMeasurement/child(executable:arguments:failure:)``)
/// so that its peak memory is its own; ``runScenario(_:factory:)`` is that process's side, in a scratch
/// folder it removes.
public struct RoundsBenchmark: Sendable {
    /// The federations timed, each in its own child process (`--scenario NAME`).
    public enum Scenario: String, CaseIterable, Sendable {
        case overhead
        case scaleSmall = "scale-small"
        case scaleLarge = "scale-large"
    }

    public var rounds: Int
    public var scaleRounds: Int
    public var localEpochs: Int
    /// Training records per hospital in the scale scenarios (before the 20 % test split they are more).
    public var recordsPerHospital: Int
    public var largeFederation: Int

    public init(rounds: Int, scaleRounds: Int, localEpochs: Int, recordsPerHospital: Int, largeFederation: Int) {
        self.rounds = rounds
        self.scaleRounds = scaleRounds
        self.localEpochs = localEpochs
        self.recordsPerHospital = recordsPerHospital
        self.largeFederation = largeFederation
    }

    /// The federation of `scenario`, in the run folder `out`.
    public func spec(_ scenario: Scenario, out: String) -> BenchFederationSpec {
        switch scenario {
        case .overhead:
            return BenchFederationSpec(dataset: "wdbc", hospitals: 10, rounds: rounds, localEpochs: localEpochs, epsilon: 8, seed: 1,
                                       out: out)
        case .scaleSmall, .scaleLarge:
            let hospitals = scenario == .scaleSmall ? 10 : largeFederation
            // Records per hospital before the 20 % test split.
            let total = hospitals * Int((Double(recordsPerHospital) / 0.8).rounded(.up))
            var spec = BenchFederationSpec(dataset: "lesions:\(total)", hospitals: hospitals, perRound: 10, rounds: scaleRounds,
                                           batchSize: recordsPerHospital, model: "lesioncnn", epsilon: 8, seed: 1, out: out)
            // The live audit attacks up to 300 members and 300 non-members drawn from all the records held: 40 of each
            // with 10 hospitals, 300 with 1,000, which is not the same work per round.
            spec.liveAudit = false
            return spec
        }
    }

    /// One scenario, in this process.
    public func runScenario(_ scenario: Scenario, factory: some BenchFederationFactory) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.inScratch("rounds", factory: factory, context: "bench rounds: the \(scenario.rawValue) run") {
            spec(scenario, out: $0)
        }
    }
}

/// What secure aggregation costs in rounds (`fedtop bench secagg`): the same federation (local
/// `lesions` hospitals, the lesion CNN, sample-level DP-SGD at ε = 8, every hospital every round) run
/// plain and with secure aggregation (SecAgg, Bonawitz et al. 2017; SecAgg+ from 64 hospitals,
/// Bell et al. 2020). The protocol alone is ``ProtocolCost``.
///
/// Contract: as ``RoundsBenchmark``: each federation in a process of its own, its scratch folder removed.
public struct SecAggBenchmark: Sendable {
    /// One federation: plain or secure, of `hospitals` hospitals; named `plain-N` or `secure-N`.
    public struct Scenario: Sendable, Equatable {
        public var secure: Bool
        public var hospitals: Int

        public init(secure: Bool, hospitals: Int) {
            self.secure = secure
            self.hospitals = hospitals
        }

        public init?(name: String) {
            let parts = name.split(separator: "-")
            guard parts.count == 2, let n = Int(parts[1]), ["plain", "secure"].contains(parts[0]) else { return nil }
            self.init(secure: parts[0] == "secure", hospitals: n)
        }

        public var name: String { "\(secure ? "secure" : "plain")-\(hospitals)" }
    }

    public var rounds: Int
    /// Records per hospital (lesions images, before the 20 % test split).
    public var recordsPerHospital: Int

    public init(rounds: Int, recordsPerHospital: Int) {
        self.rounds = rounds
        self.recordsPerHospital = recordsPerHospital
    }

    public func spec(_ s: Scenario, out: String) -> BenchFederationSpec {
        BenchFederationSpec(dataset: "lesions:\(s.hospitals * recordsPerHospital)", hospitals: s.hospitals, perRound: s.hospitals,
                            rounds: rounds, batchSize: max(4, recordsPerHospital / 4), model: "lesioncnn", epsilon: 8, secureAggregation: s.secure,
                            seed: 1, out: out)
    }

    /// One federation, in this process.
    public func runScenario(_ s: Scenario, factory: some BenchFederationFactory) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.inScratch("secagg", factory: factory, context: "bench secagg: the \(s.name) run") { spec(s, out: $0) }
    }
}
