import Federation
import Foundation
import Transport

/// A federation a benchmark scenario trains, as plain values. A nil field takes the defaults of the
/// product that builds it (``BenchFederationFactory``; fedtop: `fedtop run`'s).
public struct BenchFederationSpec: Sendable, Equatable {
    /// A ``DatasetSource`` spec (`lesions:600`, `wdbc`).
    public var dataset: String
    /// Local (simulated) hospitals; nil: the product's default (none when remote hospitals are given).
    public var hospitals: Int?
    /// Hospitals per round (nil: all).
    public var perRound: Int?
    public var rounds: Int
    public var localEpochs: Int?
    public var batchSize: Int?
    public var model: String?
    public var learningRate: Float?
    public var momentum: Float?
    public var strategy: String?
    /// Sample-level DP-SGD in every hospital at this ε; nil: no DP.
    public var epsilon: Double?
    public var delta: Double?
    /// Sample-level per-sample clip norm C.
    public var clip: Double?
    /// Each hospital clamps its standardised features to ±this many standard deviations.
    public var featureClip: Double?
    public var secureAggregation = false
    /// Remote hospitals (`grpcs://NAME@HOST:PORT`) and the console's certificate folder for them.
    public var remoteHospitals: [String] = []
    public var consoleCerts: String?
    public var seed: UInt64
    /// The run folder.
    public var out: String
    /// The console's live membership audit after every round (what `fedtop run` does with local
    /// hospitals; remote hospitals' records are not there to attack, so a local/remote comparison
    /// turns it off on both sides).
    public var liveAudit = true
    /// Federated dropout's kept share of each hidden layer; nil: the full model.
    public var federatedDropout: Double?

    public init(dataset: String, hospitals: Int? = nil, perRound: Int? = nil, rounds: Int, localEpochs: Int? = nil,
                batchSize: Int? = nil, model: String? = nil, learningRate: Float? = nil, momentum: Float? = nil,
                strategy: String? = nil, epsilon: Double?, delta: Double? = nil, clip: Double? = nil, featureClip: Double? = nil,
                secureAggregation: Bool = false, remoteHospitals: [String] = [], consoleCerts: String? = nil, seed: UInt64,
                out: String) {
        self.dataset = dataset
        self.hospitals = hospitals
        self.perRound = perRound
        self.rounds = rounds
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.model = model
        self.learningRate = learningRate
        self.momentum = momentum
        self.strategy = strategy
        self.epsilon = epsilon
        self.delta = delta
        self.clip = clip
        self.featureClip = featureClip
        self.secureAggregation = secureAggregation
        self.remoteHospitals = remoteHospitals
        self.consoleCerts = consoleCerts
        self.seed = seed
        self.out = out
    }
}

/// A federation built for a benchmark, not started: its engine and the recorder writing its run
/// folder, and what to release once it has run (remote connections, the run's keys).
public struct BenchFederation {
    public let engine: Engine
    public let recorder: RunRecorder
    private let releaseResources: () -> Void

    public init(engine: Engine, recorder: RunRecorder, release: @escaping () -> Void) {
        self.engine = engine
        self.recorder = recorder
        releaseResources = release
    }

    /// Runs to the end without printing; returns the outcome and every event, the run's files finished.
    public func run() -> (RunOutcome, [EngineEvent]) {
        let subscription = engine.bus.subscribe(capacity: 1 << 20)
        engine.start()
        let outcome = engine.wait()
        _ = recorder.finish()
        return (outcome, subscription.drain())
    }

    /// Closes the remote hospitals and discards the run's keys.
    public func release() { releaseResources() }
}

/// Builds the federations the benchmarks measure, the way the product runs them, so that a benchmark
/// times what a real run does (fedtop: exactly as `fedtop run` sets a run up, with its defaults).
public protocol BenchFederationFactory {
    /// The federation `spec` describes, set up and not started; throws what the product would refuse.
    func federation(_ spec: BenchFederationSpec) throws -> BenchFederation
    /// The remote hospital at `endpoint`, attached with the console's certificates in `consoleCerts`
    /// as a run attaches its hospitals (mutual TLS, signed models).
    func attach(endpoint: String, consoleCerts: String) throws -> RemoteHospital
}

/// What one benchmark scenario (a federation run in a process of its own, so that its peak memory is
/// its own) measured; the child prints it as one JSON object and the parent reads it back.
///
/// Contract: ``measure(_:factory:context:)`` builds the federation (timed as `setupSeconds`), runs it
/// to the end and throws ``BenchmarkError`` naming `context` unless it finished; NaN is written as
/// the string `"nan"` (a median over no rounds).
public struct ScenarioMeasurement: Codable, Sendable {
    public var timings: RoundTimings
    /// Seconds to set the federation up (data, hospitals, ledgers, σ calibration).
    public var setupSeconds: Double
    /// The process's peak resident set at the end, in bytes (0 where unreadable).
    public var peakBytes: Int
    /// Sample-level σ of the last round (NaN if none completed).
    public var noiseMultiplier: Double
    /// The fewest updates any round aggregated.
    public var minAggregated: Int
    /// Median seconds of each secure-aggregation phase (``SecurePhaseTimings``); empty without it.
    public var securePhases: [String: Double]

    public init(timings: RoundTimings, setupSeconds: Double, peakBytes: Int, noiseMultiplier: Double, minAggregated: Int,
                securePhases: [String: Double]) {
        self.timings = timings
        self.setupSeconds = setupSeconds
        self.peakBytes = peakBytes
        self.noiseMultiplier = noiseMultiplier
        self.minAggregated = minAggregated
        self.securePhases = securePhases
    }

    public static func measure(_ spec: BenchFederationSpec, factory: some BenchFederationFactory,
                               context: String) throws -> ScenarioMeasurement {
        let started = ContinuousClock.now
        let federation = try factory.federation(spec)
        defer { federation.release() }
        let setupSeconds = started.duration(to: .now) / .seconds(1)
        let (outcome, events) = federation.run()
        guard outcome == .finished else { throw BenchmarkError("\(context) ended \(outcome.rawValue)") }
        let summaries = events.compactMap { e -> RoundSummary? in
            if case .roundCompleted(let s) = e.kind { return s } else { return nil }
        }
        return ScenarioMeasurement(timings: .measure(events), setupSeconds: setupSeconds, peakBytes: PeakMemory.residentBytes() ?? 0,
                                   noiseMultiplier: summaries.last?.noiseMultiplier ?? .nan,
                                   minAggregated: summaries.map(\.aggregated).min() ?? 0,
                                   securePhases: SecurePhaseTimings.measure(events))
    }

    /// ``measure(_:factory:context:)`` of the federation `spec` gives for a run folder inside a scratch
    /// folder named after `bench` and this process, removed at the end.
    public static func inScratch(_ bench: String, factory: some BenchFederationFactory, context: String,
                                 spec: (_ out: String) -> BenchFederationSpec) throws -> ScenarioMeasurement {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-\(bench)-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try measure(spec(scratch + "/run"), factory: factory, context: context)
    }

    /// The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status, e.g. `0-1` or
    /// `2,5-7`), in order; empty when it cannot be read.
    static func allowedCPUs(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> [Int] {
        guard let line = status?.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return [] }
        var cpus: [Int] = []
        for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { cpus.append(bounds[0]) } else if bounds.count == 2, bounds[0] <= bounds[1] { cpus += Array(bounds[0]...bounds[1]) }
        }
        return cpus
    }

    /// The JSON object a scenario child prints.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// A child's printed measurement; nil if it is not one.
    public static func decoded(_ data: Data) -> ScenarioMeasurement? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(ScenarioMeasurement.self, from: data)
    }

    /// Runs `executable arguments` (a scenario child, its standard error shared with this process, this
    /// process's environment with `environment` on top) and reads what it measured; throws `failure(status)` if it fails or prints no measurement.
    /// With `cpus`, the child and every thread it starts are confined to CPUs `0..<cpus` (util-linux's
    /// `taskset`, from before its first instruction), so "one core" means one core, not one worker
    /// beside an engine thread and evaluation running on the others.
    public static func child(executable: URL, arguments: [String], environment: [String: String] = [:], cpus: Int? = nil,
                             failure: (_ status: Int32) -> String) throws -> ScenarioMeasurement {
        let process = Process()
        if let cpus {
            let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
            guard cpus >= 1, FileManager.default.isExecutableFile(atPath: taskset.path) else {
                throw BenchmarkError("confining a benchmark to \(cpus) CPU(s) needs /usr/bin/taskset (Debian package util-linux)")
            }
            let allowed = allowedCPUs()
            guard allowed.count >= cpus else {
                throw BenchmarkError("confining a benchmark to \(cpus) CPU(s): this process may use only \(allowed.count)")
            }
            process.executableURL = taskset
            process.arguments = ["--cpu-list", allowed.prefix(cpus).map(String.init).joined(separator: ","), executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let measurement = decoded(data) else {
            throw BenchmarkError(failure(process.terminationStatus))
        }
        return measurement
    }
}
