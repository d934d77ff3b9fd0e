import Foundation

/// How a round's cost grows with the federation (`fedtop bench scale`): more and more hospitals of the
/// same size, and a federation of ten thousand of which a hundred train each round.
///
/// - Trained per round (10 → 100 → 1,000 hospitals, all training every round): every hospital holds
///   `recordsPerHospital` lesions (20 by default: `lesions:200`, `lesions:2000`, `lesions:20000`), the
///   MLP, sample-level DP-SGD at ε = 8. Each hospital does the same work at every size, so a round's
///   time per trained record measures what the federation adds per hospital (selection, accounting,
///   the ledger, validation, aggregation, evaluation): the bound is 1.5× between the smallest and the
///   largest federation. (Spreading a fixed dataset over more hospitals instead multiplies the DP-SGD
///   work per record: each hospital's step draws model-sized noise however few records it holds.)
///   The 1,000-hospital federation is run again on one core (`FEDTOP_WORKERS=1`, and the process
///   confined to CPU 0 by `taskset`, so its engine thread and evaluation cannot borrow the other
///   core): the speed-up of its round from one core to all of them (the bound, ≥ 1.85×, is for two
///   cores: this machine's). The other federations run with `FEDTOP_WORKERS` as the parent has it.
/// - Held (10,000 hospitals, 100 per round): `lesions:200000` with 20 per hospital, whose peak memory
///   shows what holding hospitals costs (bound 2 GiB); each hospital's images are rendered into its
///   share as it is cut (``LesionSource``), so the dataset is never held twice.
///   The 1,000-hospital federation's peak is bound by 1 GiB.
///
/// Rounds: every federation runs at least `rounds` rounds and at least ``minimumHospitalRounds``
/// hospital-rounds (10 hospitals: 100 rounds; 100 hospitals or 100 per round: 10), so that its medians
/// are of steady rounds — a 10-hospital round takes about 10 ms, and six of them are mostly the
/// process warming up (heap, page cache, thread pool), which a 1,000-hospital round absorbs in its first.
///
/// Repeats: on a shared machine one run of a federation can be slowed by other tenants (the same
/// 1,000-hospital round moved from 0.80 to 0.91 s between runs), and a ratio of two such runs moves
/// twice as much. So the trained federations and the one-core one are each measured `repeats` times,
/// in turn (all of them once, then all again, so a slow spell falls on all alike), and each row is
/// the repeat with the median round time (``median(_:)``), with the largest peak memory of its
/// repeats. The held federation (40 s of setup) is measured once.
///
/// Contract: each federation in a process of its own (``ScenarioMeasurement/child(executable:arguments:environment:failure:)``),
/// so that its peak resident memory (`VmHWM`) is its own; its scratch folder removed. Times are medians
/// over rounds 2… (``RoundTimings``).
public struct ScaleBenchmark: Sendable {
    /// One federation: `held` hospitals, `perRound` of them trained each round, on `workers` cores
    /// (nil: all; else that many workers, the process confined to that many CPUs); named `H-P` or `H-P-wW`.
    public struct Scenario: Sendable, Equatable, Hashable {
        public var held: Int
        public var perRound: Int
        public var workers: Int?

        public init(held: Int, perRound: Int, workers: Int? = nil) {
            self.held = held
            self.perRound = perRound
            self.workers = workers
        }

        public init?(name: String) {
            let parts = name.split(separator: "-")
            guard parts.count == 2 || parts.count == 3, let h = Int(parts[0]), let p = Int(parts[1]), h > 0, p > 0, p <= h else { return nil }
            var workers: Int?
            if parts.count == 3 {
                guard parts[2].hasPrefix("w"), let w = Int(parts[2].dropFirst()), w > 0 else { return nil }
                workers = w
            }
            self.init(held: h, perRound: p, workers: workers)
        }

        public var name: String { "\(held)-\(perRound)" + (workers.map { "-w\($0)" } ?? "") }
    }

    public static let timeRatioBound = 1.5
    public static let speedUpBound = 1.85
    public static let allTrainingMemoryBound = 1 << 30
    public static let heldMemoryBound = 2 << 30

    public var rounds: Int
    /// Records each hospital holds (training and test), in every federation.
    public var recordsPerHospital: Int
    public var model: String
    public var epsilon: Double

    public init(rounds: Int, recordsPerHospital: Int = 20, model: String = "mlp", epsilon: Double = 8) {
        self.rounds = rounds
        self.recordsPerHospital = recordsPerHospital
        self.model = model
        self.epsilon = epsilon
    }

    /// The federations of one run of the benchmark, in the order they are measured.
    public static let trained = [10, 100, 1_000].map { Scenario(held: $0, perRound: $0) }
    public static let singleWorker = Scenario(held: 1_000, perRound: 1_000, workers: 1)
    public static let held = Scenario(held: 10_000, perRound: 100)
    public static var scenarios: [Scenario] { trained + [singleWorker, held] }
    /// The federations measured `repeats` times (the others once).
    public static var repeated: [Scenario] { trained + [singleWorker] }

    /// The measurement with the median round period among `repeats` of one federation (the lower
    /// middle one for an even count), with the largest peak memory among them: the memory bound is
    /// checked against the worst repeat.
    public static func median(_ repeats: [ScenarioMeasurement]) -> ScenarioMeasurement {
        precondition(!repeats.isEmpty, "ScaleBenchmark.median: no measurements")
        var chosen = repeats.sorted { $0.timings.period < $1.timings.period }[(repeats.count - 1) / 2]
        chosen.peakBytes = repeats.map(\.peakBytes).max()!
        return chosen
    }

    /// Records of `scenario`'s dataset (`lesions:COUNT`): `recordsPerHospital` for each hospital held.
    public func datasetRecords(_ s: Scenario) -> Int { recordsPerHospital * s.held }

    /// Training records of one hospital: its records less its test split (a fifth, at least one).
    public var trainingRecordsPerHospital: Int {
        recordsPerHospital - min(max(Int((Double(recordsPerHospital) * 0.2).rounded()), 1), recordsPerHospital - 2)
    }

    /// Hospital-rounds every federation runs at least (see the type's doc comment).
    public static let minimumHospitalRounds = 1_000

    /// Rounds of `scenario`'s federation: `rounds`, or more to reach ``minimumHospitalRounds``.
    public func rounds(_ s: Scenario) -> Int {
        max(rounds, (Self.minimumHospitalRounds + s.perRound - 1) / s.perRound)
    }

    public func spec(_ s: Scenario, out: String) -> BenchFederationSpec {
        var spec = BenchFederationSpec(dataset: "lesions:\(datasetRecords(s))", hospitals: s.held, perRound: s.perRound, rounds: rounds(s),
                                       model: model, epsilon: epsilon, seed: 1, out: out)
        spec.liveAudit = false  // the same per-round work at every size: training, aggregation, evaluation
        return spec
    }

    /// One federation, in this process.
    public func runScenario(_ s: Scenario, factory: some BenchFederationFactory) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.inScratch("scale", factory: factory, context: "bench scale: the \(s.name) federation") {
            spec(s, out: $0)
        }
    }

    /// What one run of the benchmark found, derived as the type's doc comment says.
    public struct Report: Sendable {
        public var rows: [(scenario: Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)]

        public init(rows: [(scenario: Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)]) { self.rows = rows }

        func row(_ s: Scenario) -> (scenario: Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)? {
            rows.first { $0.scenario == s }
        }

        /// Seconds of round per trained record.
        public static func perRecord(_ r: (scenario: Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)) -> Double {
            r.measurement.timings.period / Double(max(1, r.trainedRecords))
        }

        /// Largest over smallest time per trained record among the trained-per-round federations.
        public var timeRatio: Double {
            let values = ScaleBenchmark.trained.compactMap(row).map(Self.perRecord)
            guard let lo = values.min(), let hi = values.max(), lo > 0 else { return .nan }
            return hi / lo
        }

        /// The least-squares slope of log(round time) over log(hospitals trained per round): 0 when a
        /// round costs the same whoever holds its records, 1 when it grows with the hospitals.
        public var slope: Double {
            let points = ScaleBenchmark.trained.compactMap(row).map { (log(Double($0.scenario.perRound)), log($0.measurement.timings.period)) }
            guard points.count >= 2 else { return .nan }
            let mx = points.map(\.0).reduce(0, +) / Double(points.count), my = points.map(\.1).reduce(0, +) / Double(points.count)
            let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
            return sxx > 0 ? sxy / sxx : .nan
        }

        /// The 1,000-hospital round on one worker over the same on all.
        public var speedUp: Double {
            guard let one = row(ScaleBenchmark.singleWorker), let all = row(ScaleBenchmark.trained.last!) else { return .nan }
            return one.measurement.timings.period / all.measurement.timings.period
        }
    }
}
