import Benchmarks
import Federation
import Testing

@Suite("RoundTimings")
struct RoundTimingsTests {
    /// One round's events at `start`: broadcast, every answer in after `training`, evaluation from
    /// `evaluating` for `evaluation` seconds, then completion with `aggregation` seconds of arithmetic.
    private func round(_ r: Int, start: Double, training: Double, evaluating: Double, evaluation: Double,
                       aggregation: Double, completion: Double) -> [EngineEvent] {
        let summary = RoundSummary(round: r, selected: 3, aggregated: 3, trainLoss: 0.5, evaluation: nil, centralEvaluation: nil,
                                   hospitalEpsilon: [:], federationEpsilon: nil, noiseMultiplier: 1.1, clipNorm: 1, seconds: 1,
                                   trainingSeconds: training, aggregationSeconds: aggregation)
        return [
            EngineEvent(time: start, wallTime: start, round: r, kind: .phaseChanged(.broadcasting)),
            EngineEvent(time: start + training, wallTime: start + training, round: r, kind: .phaseChanged(.collecting)),
            EngineEvent(time: evaluating, wallTime: evaluating, round: r, kind: .phaseChanged(.evaluating)),
            EngineEvent(time: evaluating + evaluation, wallTime: evaluating + evaluation, round: r, kind: .phaseChanged(.checkpointing)),
            EngineEvent(time: completion, wallTime: completion, round: r, kind: .roundCompleted(summary)),
        ]
    }

    @Test("the first round is not measured; overhead is the period less training and aggregation, medians over the rest")
    func summaryMath() {
        // Round 1 is slow (set-up, warm caches) and must not count: it has no previous completion.
        var events = round(1, start: 0, training: 5, evaluating: 6, evaluation: 1, aggregation: 0.5, completion: 8)
        // Rounds 2…4: periods 2, 3 and 2.5; training 1.2, 2, 1.5; aggregation 0.1, 0.2, 0.3; evaluation 0.25.
        events += round(2, start: 8, training: 1.2, evaluating: 9.5, evaluation: 0.25, aggregation: 0.1, completion: 10)
        events += round(3, start: 10, training: 2, evaluating: 12.5, evaluation: 0.25, aggregation: 0.2, completion: 13)
        events += round(4, start: 13, training: 1.5, evaluating: 15, evaluation: 0.25, aggregation: 0.3, completion: 15.5)
        events.append(EngineEvent(time: 10.5, wallTime: 10.5, round: 2, kind: .checkpointWritten(path: "/dev/null")))

        let t = RoundTimings.measure(events)
        #expect(t.rounds == 3)
        #expect(abs(t.period - 2.5) < 1e-9)
        #expect(abs(t.training - 1.5) < 1e-9)
        #expect(abs(t.aggregation - 0.2) < 1e-9)
        #expect(abs(t.evaluation - 0.25) < 1e-9)
        // Overheads 2 − 1.2 − 0.1 = 0.7, 3 − 2 − 0.2 = 0.8, 2.5 − 1.5 − 0.3 = 0.7: median 0.7.
        #expect(abs(t.overhead - 0.7) < 1e-9)
        #expect(abs(t.other - 0.45) < 1e-9)
        // Round 2 handed its checkpoint over at 9.75 and it was written at 10.5.
        #expect(abs(t.checkpoint - 0.75) < 1e-9)
    }

    @Test("a run with one completed round has nothing to measure: NaN, zero rounds")
    func nothingMeasured() {
        let t = RoundTimings.measure(round(1, start: 0, training: 1, evaluating: 2, evaluation: 1, aggregation: 0.1, completion: 4))
        #expect(t.rounds == 0 && t.period.isNaN && t.overhead.isNaN)
        #expect(RoundTimings.median([3, 1, 2, 10]) == 2.5)
    }

    @Test("the measurement a scenario child prints reads back, NaN included")
    func scenarioRoundTrip() throws {
        let timings = RoundTimings.measure([])
        let m = ScenarioMeasurement(timings: timings, setupSeconds: 1.5, peakBytes: 1 << 20, noiseMultiplier: .nan, minAggregated: 3,
                                    securePhases: ["share": 0.25])
        let back = try #require(ScenarioMeasurement.decoded(try m.encoded()))
        #expect(back.timings.period.isNaN && back.noiseMultiplier.isNaN)
        #expect(back.setupSeconds == 1.5 && back.peakBytes == 1 << 20 && back.minAggregated == 3 && back.securePhases == ["share": 0.25])
    }
}

@Suite("ProtocolCost")
struct ProtocolCostTests {
    @Test("a small session: complete graph, every hospital sends at least its masked input, bytes grow with the model")
    func smallSession() throws {
        let small = try ProtocolCost.measure(hospitals: 4, parameters: 100)
        let large = try ProtocolCost.measure(hospitals: 4, parameters: 1000)
        #expect(small.graph == "complete")
        #expect(small.threshold >= 2 && small.threshold <= 4)
        #expect(small.perHospital.count == 4 && small.perHospital.allSatisfy { $0 >= 0 })
        // The masked input alone is 4 bytes per coordinate (d + 1 of them) plus a 4-byte header.
        #expect(small.sent >= Double(4 * 101 + 4))
        #expect(large.sent - small.sent == Double(4 * 900))
        #expect(small.received > 0)
    }
}
