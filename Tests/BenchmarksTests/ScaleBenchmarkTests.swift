@testable import Benchmarks
import Foundation
import Testing

@Suite("Scale and transport benchmark arithmetic")
struct ScaleBenchmarkTests {
    static func measurement(period: Double, peak: Int = 1 << 29) -> ScenarioMeasurement {
        ScenarioMeasurement(timings: RoundTimings(period: period, training: period * 0.9, aggregation: 0.01, evaluation: 0.02,
                                                  checkpoint: 0.01, overhead: period * 0.05, other: period * 0.03, rounds: 3),
                            setupSeconds: 1, peakBytes: peak, noiseMultiplier: 1, minAggregated: 10, securePhases: [:])
    }

    @Test("scenario names round-trip; bad names are refused")
    func names() {
        for s in ScaleBenchmark.scenarios { #expect(ScaleBenchmark.Scenario(name: s.name) == s) }
        #expect(ScaleBenchmark.Scenario(name: "1000-1000-w1") == ScaleBenchmark.singleWorker)
        for bad in ["10", "10-20", "a-b", "10-5-x2", "10-5-w0", "0-0"] { #expect(ScaleBenchmark.Scenario(name: bad) == nil, "\(bad)") }
    }

    @Test("every federation's hospitals hold the same records each; a fifth of them are test records")
    func datasets() {
        let b = ScaleBenchmark(rounds: 4)
        #expect(ScaleBenchmark.trained.map(b.datasetRecords) == [200, 2_000, 20_000])
        #expect(b.trainingRecordsPerHospital == 16)
        #expect(ScaleBenchmark(rounds: 4, recordsPerHospital: 5).trainingRecordsPerHospital == 4)
        #expect(ScaleBenchmark(rounds: 4, recordsPerHospital: 3).trainingRecordsPerHospital == 2)
        #expect(b.datasetRecords(ScaleBenchmark.held) == 200_000)
        #expect(b.spec(ScaleBenchmark.held, out: "/tmp/x").dataset == "lesions:200000")
        #expect(b.spec(ScaleBenchmark.held, out: "/tmp/x").perRound == 100 && !b.spec(ScaleBenchmark.held, out: "/tmp/x").liveAudit)
    }

    @Test("the CPUs a child may be confined to are read from Cpus_allowed_list, in order")
    func allowedCPUs() {
        #expect(ScenarioMeasurement.allowedCPUs(status: "Name:\tx\nCpus_allowed_list:\t0-1\n") == [0, 1])
        #expect(ScenarioMeasurement.allowedCPUs(status: "Cpus_allowed_list:\t2,5-7\nMems_allowed:\t1\n") == [2, 5, 6, 7])
        #expect(ScenarioMeasurement.allowedCPUs(status: "Name:\tx\n").isEmpty)
        #expect(!ScenarioMeasurement.allowedCPUs().isEmpty)
    }

    @Test("a row is the repeat with the median round time, carrying the largest peak of its repeats")
    func medianOfRepeats() {
        let repeats = [Self.measurement(period: 0.91, peak: 300), Self.measurement(period: 0.80, peak: 280),
                       Self.measurement(period: 0.82, peak: 275)]
        let median = ScaleBenchmark.median(repeats)
        #expect(median.timings.period == 0.82 && median.peakBytes == 300)
        #expect(ScaleBenchmark.median([Self.measurement(period: 2, peak: 1)]).timings.period == 2)
        // An even count takes the lower middle one.
        let even = ScaleBenchmark.median([1.0, 4.0, 2.0, 3.0].map { Self.measurement(period: $0) })
        #expect(even.timings.period == 2.0)
        #expect(Set(ScaleBenchmark.repeated + [ScaleBenchmark.held]) == Set(ScaleBenchmark.scenarios))
    }

    @Test("time ratio, slope and speed-up from the rows")
    func report() {
        let rows = [(ScaleBenchmark.trained[0], 16_000, Self.measurement(period: 2.0)),
                    (ScaleBenchmark.trained[1], 16_000, Self.measurement(period: 2.0)),
                    (ScaleBenchmark.trained[2], 16_000, Self.measurement(period: 2.0)),
                    (ScaleBenchmark.singleWorker, 16_000, Self.measurement(period: 3.8)),
                    (ScaleBenchmark.held, 1_600, Self.measurement(period: 0.3))]
        let flat = ScaleBenchmark.Report(rows: rows.map { (scenario: $0.0, trainedRecords: $0.1, measurement: $0.2) })
        #expect(abs(flat.timeRatio - 1) < 1e-12 && abs(flat.slope) < 1e-12 && abs(flat.speedUp - 1.9) < 1e-12)
        var growing = rows
        growing[1].2 = Self.measurement(period: 20)
        growing[2].2 = Self.measurement(period: 200)
        let linear = ScaleBenchmark.Report(rows: growing.map { (scenario: $0.0, trainedRecords: $0.1, measurement: $0.2) })
        #expect(abs(linear.slope - 1) < 1e-9 && abs(linear.timeRatio - 100) < 1e-9)
    }
}

@Suite("Transport benchmark verdict")
struct TransportVerdictTests {
    static func report(local: Double, remote: Double) -> TransportBenchmark.Report {
        func m(_ p: Double) -> ScenarioMeasurement { ScaleBenchmarkTests.measurement(period: p) }
        return TransportBenchmark.Report(hospitals: 3, parameters: 105_959, featureShape: [3, 28, 28], local: m(local), remote: m(remote),
                                         transfer: ModelTransferRate.Result(model: "mlp", parameters: 3_150_000, bytes: 12_600_000, repeats: 5,
                                                                                    wall: 12_600_000 / 130e6, compute: 0, signing: 0, verifying: 0,
                                                                                    drops: 0, dropReason: nil))
    }

    @Test("remote faster than local is never 'met'; a small positive difference is; a large one is not")
    func verdicts() {
        let negative = Self.report(local: 1.000, remote: 0.885)
        #expect(negative.difference < 0)
        #expect(!negative.verdict(added: negative.addedBeyondBytes).hasPrefix("met"))
        #expect(negative.verdict(added: -1).hasPrefix("not measured"))
        let small = Self.report(local: 1.000, remote: 1.015)
        #expect(small.verdict(added: small.addedBeyondBytes) == "met")
        let large = Self.report(local: 1.000, remote: 1.200)
        #expect(large.verdict(added: large.addedBeyondBytes) == "not met")
    }
}
