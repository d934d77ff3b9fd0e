import ArgumentParser
import Audit
import Benchmarks
import Foundation

/// `fedtop bench scale`: round time, time per trained record and peak memory from 10 to 10,000
/// hospitals, the one-core → all-core speed-up of a 1,000-hospital round, and (with `--plot DIR`) the SVG
/// charts the README shows (``ScaleBenchmark``). Each federation runs in a child process of its own.
struct BenchScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Round time and peak memory from 10 to 10,000 hospitals (MLP on lesions, DP-SGD), and the 1-core → all-core speed-up.")

    @Option(help: "Rounds of each federation at least (small ones run more, to 1,000 hospital-rounds; medians over rounds 2…).")
    var rounds = 6
    @Option(help: "Lesion records each hospital holds, a fifth of them for its test set (lesions:200 for 10 hospitals … lesions:200000 for 10,000).")
    var recordsPerHospital = 20
    @Option(help: "Measurements of each trained federation and of the one-core one, taken in turn; each row is the median (the 10,000-hospital one: once).")
    var repeats = 3
    @Option(help: "Write the charts (scale-round-time.svg, scale-memory.svg) into this folder.") var plot: String?
    @Option(help: .hidden) var scenario: String?

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3") }
        guard (1...9).contains(repeats) else { throw ValidationError("--repeats must be from 1 to 9, got \(repeats)") }
        guard (5...100).contains(recordsPerHospital) else {
            throw ValidationError("--records-per-hospital must be from 5 to 100 (10,000 hospitals hold at most 1,000,000 lesions), got \(recordsPerHospital)")
        }
    }

    func run() throws {
        let bench = ScaleBenchmark(rounds: rounds, recordsPerHospital: recordsPerHospital)
        if let scenario {
            guard let chosen = ScaleBenchmark.Scenario(name: scenario) else { throw ValidationError("unknown scenario '\(scenario)'") }
            return FileHandle.standardOutput.write(try bench.runScenario(chosen, factory: FedtopBenchFederations()).encoded())
        }
        print("fedtop bench scale: MLP (151,047 parameters), sample-level DP-SGD at ε = \(Int(bench.epsilon)), no live audit; "
              + "\(recordsPerHospital) records per hospital (\(bench.trainingRecordsPerHospital) training); "
              + "each federation in its own process; medians over rounds 2… of at least \(rounds) rounds and "
              + "\(ScaleBenchmark.minimumHospitalRounds) hospital-rounds; each row but the 10,000-hospital one is the median of "
              + "\(repeats) measurements taken in turn (peak: the largest)")
        print(CPUFeatures.line)
        print(pad("held", 8, right: true) + pad("per round", 11, right: true) + pad("cores", 9, right: true)
              + pad("dataset", 16, right: true) + pad("round", 11, right: true) + pad("per record", 12, right: true)
              + pad("training", 11, right: true) + pad("peak RSS", 11, right: true) + pad("setup", 9, right: true)
              + pad("rounds", 8, right: true))
        // The repeated federations in turn, `repeats` times over; then the held one, once.
        var taken: [ScaleBenchmark.Scenario: [ScenarioMeasurement]] = [:]
        for _ in 0..<repeats {
            for s in ScaleBenchmark.repeated { taken[s, default: []].append(try child(s)) }
        }
        taken[ScaleBenchmark.held] = [try child(ScaleBenchmark.held)]
        var rows: [(scenario: ScaleBenchmark.Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)] = []
        for s in ScaleBenchmark.scenarios {
            let m = ScaleBenchmark.median(taken[s]!)
            let trained = bench.trainingRecordsPerHospital * s.perRound
            rows.append((s, trained, m))
            let perRecord = m.timings.period / Double(max(1, trained))
            let spread = taken[s]!.count > 1
                ? String(format: "  (%@)", taken[s]!.map { String(format: "%.3f", $0.timings.period) }.joined(separator: ", ")) : ""
            print(pad("\(s.held)", 8, right: true) + pad("\(s.perRound)", 11, right: true)
                  + pad(s.workers.map(String.init) ?? "all", 9, right: true) + pad("lesions:\(bench.datasetRecords(s))", 16, right: true)
                  + pad(String(format: "%.3f s", m.timings.period), 11, right: true)
                  + pad(String(format: "%.1f µs", perRecord * 1e6), 12, right: true)
                  + pad(String(format: "%.3f s", m.timings.training), 11, right: true)
                  + pad(String(format: "%.0f MiB", Double(m.peakBytes) / 1_048_576), 11, right: true)
                  + pad(String(format: "%.1f s", m.setupSeconds), 9, right: true) + pad("\(bench.rounds(s))", 8, right: true) + spread)
        }
        let report = ScaleBenchmark.Report(rows: rows)
        let all = rows.first { $0.scenario == ScaleBenchmark.trained.last! }!.measurement
        let held = rows.first { $0.scenario == ScaleBenchmark.held }!.measurement
        func verdict(_ ok: Bool) -> String { ok ? "met" : "NOT met" }
        print(String(format: "time per trained record, largest / smallest (10 → 1,000 trained per round): %.2f× (bound ≤ %.1f×): %@",
                     report.timeRatio, ScaleBenchmark.timeRatioBound, verdict(report.timeRatio <= ScaleBenchmark.timeRatioBound)))
        print(String(format: "slope of log(round time) over log(hospitals trained per round): %.3f (0: flat, 1: linear in hospitals)",
                     report.slope))
        print(String(format: "1 → %d-core speed-up of the 1,000-hospital round (one core: taskset to CPU 0, one worker): %.2f× (bound ≥ %.2f×): %@",
                     CPUFeatures.cores,
                     report.speedUp, ScaleBenchmark.speedUpBound, verdict(report.speedUp >= ScaleBenchmark.speedUpBound)))
        print(String(format: "peak memory, 1,000 hospitals all training: %.0f MiB (bound ≤ 1024 MiB): %@",
                     Double(all.peakBytes) / 1_048_576, verdict(all.peakBytes <= ScaleBenchmark.allTrainingMemoryBound)))
        print(String(format: "peak memory, 10,000 held, 100 per round: %.0f MiB (bound ≤ 2048 MiB): %@",
                     Double(held.peakBytes) / 1_048_576, verdict(held.peakBytes <= ScaleBenchmark.heldMemoryBound)))
        if let plot { try writeCharts(rows, folder: plot) }
    }

    /// Round time and peak memory against hospitals held, one SVG each (log–log).
    private func writeCharts(_ rows: [(scenario: ScaleBenchmark.Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)],
                             folder: String) throws {
        let measured = rows.filter { $0.scenario.workers == nil }
        let trained = measured.filter { $0.scenario.held == $0.scenario.perRound }
        let sampled = measured.filter { $0.scenario.held != $0.scenario.perRound }
        func series(_ label: String, _ rs: [(scenario: ScaleBenchmark.Scenario, trainedRecords: Int, measurement: ScenarioMeasurement)],
                    _ y: (ScenarioMeasurement) -> Double) -> ChartSeries {
            ChartSeries(label: label, points: rs.map { ChartPoint(x: Double($0.scenario.held), y: y($0.measurement)) })
        }
        let time = ReportChart(
            name: "scale-round-time", title: "Round time (\(recordsPerHospital) records per hospital)", xLabel: "hospitals held",
            yLabel: "seconds per round (median)", xScale: .log, yScale: .log,
            series: [series("all training", trained) { $0.timings.period },
                     series("100 per round", sampled) { $0.timings.period }])
        let memory = ReportChart(
            name: "scale-memory", title: "Peak resident memory", xLabel: "hospitals held", yLabel: "MiB (VmHWM)", xScale: .log, yScale: .log,
            series: [series("all training", trained) { Double($0.peakBytes) / 1_048_576 },
                     series("100 per round", sampled) { Double($0.peakBytes) / 1_048_576 }])
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for chart in [time, memory] {
                try Data((SVGChart.render(chart) + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/\(chart.name).svg"), options: .atomic)
            }
        } catch { throw RunError("--plot \(folder): \(error)") }
        print("charts: \(folder)/scale-round-time.svg, \(folder)/scale-memory.svg")
    }

    /// Runs this command again as a child for one federation; returns what it measured.
    private func child(_ s: ScaleBenchmark.Scenario) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.child(
            executable: Bench.executable,
            arguments: ["bench", "scale", "--scenario", s.name, "--rounds", String(rounds), "--records-per-hospital", String(recordsPerHospital)],
            environment: s.workers.map { ["FEDTOP_WORKERS": String($0)] } ?? [:], cpus: s.workers) {
            "bench scale: federation \(s.name) failed (exit status \($0))"
        }
    }
}

/// What the machine's CPU offers the tensor core: OpenBLAS's kernels are about 3× faster with AVX-512
/// than with AVX2 here, so every benchmark says which it ran on.
enum CPUFeatures {
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// `cpu: AMD EPYC, 2 cores, AVX2 (no AVX-512)` from /proc/cpuinfo.
    static var line: String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let simd = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2 (no AVX-512)" : "no AVX2"
        return "cpu: \(model), \(cores) cores, \(simd)"
    }
}
