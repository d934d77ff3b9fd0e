import ArgumentParser
import Federation
import Foundation
import RunConfiguration

/// `fedtop bench rounds`: what the engine costs around the work it coordinates.
///
/// - Overhead: 10 local WDBC hospitals (MLP, sample-level DP-SGD, every hospital every round, signed
///   checkpoints, ledgers, event files — a real run directory). The time between two round completions
///   that is neither hospital training (broadcast → all answers in) nor the aggregation arithmetic is
///   the engine's overhead; the bound is 5 % of the round.
/// - Scale: 1,000 local hospitals holding small partitions of `lesions`, 10 per round, beside 10
///   hospitals holding partitions of the same size, all 10 per round (the same per-round work). Peak
///   resident memory (bound 1 GiB) and the median round time (bound 1.5× the 10-hospital one).
///
/// Each scenario runs in a child process of its own so that its peak memory is its own.
struct BenchRounds: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds",
        abstract: "Engine overhead per round (10 WDBC hospitals) and scale (1,000 lesions hospitals, 10 per round).")

    @Option(help: "Rounds of the overhead scenario.") var rounds = 30
    @Option(help: "Rounds of each scale scenario.") var scaleRounds = 8
    @Option(help: "Local epochs per round in the overhead scenario.") var localEpochs = 1
    @Option(help: "Training records per hospital in the scale scenarios (lesions images).") var recordsPerHospital = 16
    @Option(help: "Hospitals in the large federation.") var largeFederation = 1000
    @Option(help: .hidden) var scenario: String?

    func validate() throws {
        guard rounds >= 3, scaleRounds >= 3 else { throw ValidationError("--rounds and --scale-rounds must be at least 3") }
        guard localEpochs > 0, recordsPerHospital >= 4, largeFederation >= 10 else {
            throw ValidationError("--local-epochs must be positive, --records-per-hospital at least 4, --large-federation at least 10")
        }
    }

    func run() throws {
        if let scenario { return try runScenario(scenario) }
        print("fedtop bench rounds: each scenario in its own process; times are medians over rounds 2…")
        let overhead = try child("overhead")
        print("\n10 local hospitals, WDBC MLP, sample-level DP-SGD, \(localEpochs) local epoch(s), \(rounds) rounds, "
              + "checkpoints + ledgers fsynced")
        print(pad("round period", 30) + ms(overhead["period"]))
        print(pad("  hospital training (wall)", 30) + ms(overhead["training"]))
        print(pad("  aggregation arithmetic", 30) + ms(overhead["aggregation"]))
        print(pad("  evaluation", 30) + ms(overhead["evaluation"]))
        print(pad("  other engine work", 30) + ms(overhead["other"]))
        print(pad("checkpoint write (background)", 30) + ms(overhead["checkpoint"]) + "  signed, 6 fsyncs, beside the next round")
        let share = (overhead["overhead"] ?? .nan) / (overhead["period"] ?? .nan)
        print(pad("overhead outside training+agg", 30) + ms(overhead["overhead"])
              + String(format: "  = %.1f %% of the round (bound 5 %%)", share * 100))

        let small = try child("scale-small"), large = try child("scale-large")
        print("\nScale: lesions CNN, \(recordsPerHospital) training records per hospital, 10 hospitals per round, "
              + "\(scaleRounds) rounds")
        print(pad("federation", 30) + pad("round (median)", 16, right: true) + pad("peak RSS", 12, right: true)
              + pad("setup", 10, right: true))
        for (label, r) in [("10 hospitals", small), ("\(largeFederation) hospitals", large)] {
            print(pad(label, 30) + pad(ms(r["period"]), 16, right: true)
                  + pad(String(format: "%.0f MiB", (r["peakBytes"] ?? 0) / 1_048_576), 12, right: true)
                  + pad(String(format: "%.1f s", r["setup"] ?? 0), 10, right: true))
        }
        print(String(format: "round time ratio %.2f× (bound 1.5×); peak memory of the large federation %.0f MiB (bound 1024 MiB)",
                     (large["period"] ?? .nan) / (small["period"] ?? .nan), (large["peakBytes"] ?? 0) / 1_048_576))
    }

    private func ms(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        return String(format: "%.2f ms", seconds * 1000)
    }

    /// Runs this command again as a child for one scenario; returns the numbers it printed.
    private func child(_ name: String) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "rounds", "--scenario", name, "--rounds", String(rounds), "--scale-rounds", String(scaleRounds),
                             "--local-epochs", String(localEpochs), "--records-per-hospital", String(recordsPerHospital),
                             "--large-federation", String(largeFederation)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let numbers = try? Self.decoder.decode([String: Double].self, from: data) else {
            throw RunError("bench rounds: scenario \(name) failed (exit status \(process.terminationStatus))")
        }
        return numbers
    }

    /// One scenario, in this process: prints its numbers as one JSON object.
    private func runScenario(_ name: String) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-rounds-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = RunOptions()
        options[.out] = .string(scratch + "/run")
        options[.seed] = .seed(1)
        switch name {
        case "overhead":
            options[.dataset] = .string("wdbc")
            options[.hospitals] = .integer(10)
            options[.rounds] = .integer(rounds)
            options[.localEpochs] = .integer(localEpochs)
        case "scale-small", "scale-large":
            let hospitals = name == "scale-small" ? 10 : largeFederation
            // Records per hospital before the 20 % test split.
            let total = hospitals * Int((Double(recordsPerHospital) / 0.8).rounded(.up))
            options[.dataset] = .string("lesions:\(total)")
            options[.hospitals] = .integer(hospitals)
            options[.perRound] = .integer(10)
            options[.rounds] = .integer(scaleRounds)
            options[.batchSize] = .integer(recordsPerHospital)
        default:
            throw ValidationError("unknown scenario '\(name)'")
        }
        options[.dp] = .string("sample")
        options[.epsilon] = .number(8)
        let started = ContinuousClock.now
        let setup = try FederationSetup(options: RunPlan(options: options))
        defer { setup.keys.discard() }
        let setupSeconds = started.duration(to: .now) / .seconds(1)
        let subscription = setup.engine.bus.subscribe(capacity: 1 << 20)
        setup.engine.start()
        let outcome = setup.engine.wait()
        _ = setup.recorder.finish()
        guard outcome == .finished else { throw RunError("bench rounds: the \(name) run ended \(outcome.rawValue)") }
        var result = RoundTimings.measure(subscription.drain())
        result["setup"] = setupSeconds
        result["peakBytes"] = Double(PeakMemory.residentBytes() ?? 0)
        FileHandle.standardOutput.write(try Self.encoder.encode(result))
    }

    private static let floats = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = floats
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

}

/// Where a run's rounds spent their time, from its events (medians over rounds after the first).
/// The round period runs from one `roundCompleted` to the next; the overhead is what is neither
/// hospital training (broadcast until every answer is in) nor the aggregation arithmetic. The
/// checkpoint's write latency is reported apart: it runs beside the next round.
enum RoundTimings {
    static func measure(_ events: [EngineEvent]) -> [String: Double] {
        var periods: [Double] = [], training: [Double] = [], aggregation: [Double] = []
        var evaluation: [Double] = [], checkpoint: [Double] = [], overhead: [Double] = [], other: [Double] = []
        var lastCompletion: Double?
        var broadcast = 0.0, evaluating = 0.0, trainingWall = 0.0, evaluationWall = 0.0
        var handedOver: [Int: Double] = [:]
        for event in events {
            switch event.kind {
            case .phaseChanged(let phase):
                switch phase {
                case .broadcasting: broadcast = event.time
                case .collecting: trainingWall = event.time - broadcast
                case .evaluating: evaluating = event.time
                case .checkpointing:
                    evaluationWall = event.time - evaluating
                    handedOver[event.round] = event.time
                default: break
                }
            case .checkpointWritten:
                if let t = handedOver[event.round] { checkpoint.append(event.time - t) }
            case .roundCompleted(let summary):
                if let last = lastCompletion {
                    let period = event.time - last
                    periods.append(period)
                    training.append(trainingWall)
                    aggregation.append(summary.aggregationSeconds)
                    evaluation.append(evaluationWall)
                    overhead.append(period - trainingWall - summary.aggregationSeconds)
                    other.append(period - trainingWall - summary.aggregationSeconds - evaluationWall)
                }
                lastCompletion = event.time
            default: break
            }
        }
        return ["period": median(periods), "training": median(training), "aggregation": median(aggregation),
                "evaluation": median(evaluation), "checkpoint": median(checkpoint), "overhead": median(overhead),
                "other": median(other), "rounds": Double(periods.count)]
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// This process's peak resident set (`VmHWM` in /proc/self/status).
enum PeakMemory {
    static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}
