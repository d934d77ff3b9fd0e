import Foundation
import TensorCore
import Testing
@testable import Federation

/// The engine's intake of a round's updates (``RoundIntake``): decided in the federation's order
/// whatever the arrival order, folded as they come (nothing kept per hospital), outliers refused.
@Suite("Round intake")
struct RoundIntakeTests {
    static func update(_ i: Int, _ values: [Float], records: Int = 10) -> HospitalUpdate {
        HospitalUpdate(hospital: "h\(i)", round: 1, delta: Tensor(values), sampleCount: records, trainLoss: 0.5,
                       clippedFraction: 0, spend: nil, epsilonSpent: nil, secureNoise: false, seconds: 0.1)
    }

    final class Log: @unchecked Sendable {
        var accepted: [Int] = [], rejected: [(Int, String)] = [], missed: [Int] = [], failed: [Int] = []
        var judge: RoundIntake.Judge {
            RoundIntake.Judge(problem: { _, u in (u.delta.isFinite ? nil : "not finite", nil) },
                              accepted: { i, _ in self.accepted.append(i) },
                              rejected: { i, r in self.rejected.append((i, r)) },
                              failed: { i, _ in self.failed.append(i) },
                              missed: { i in self.missed.append(i) })
        }
    }

    /// Feeds `answers` in `arrival` order; returns the intake and the log.
    static func run(_ n: Int, arrival: [Int], value: (Int) -> [Float], fold: Bool = true) -> (RoundIntake, Log) {
        let log = Log()
        let order = Array(0..<n)
        var intake = RoundIntake(order: order, fold: fold ? UpdateFold(rule: .weighted, parameters: value(0).count) : nil, globalNorm: 1)
        for i in arrival { intake.receive(i, .success(update(i, value(i))), judge: log.judge) }
        intake.finish(judge: log.judge)
        return (intake, log)
    }

    @Test("1,000 updates arriving in any order fold to the same bits, decided in the federation's order, none kept whole")
    func orderIndependent() {
        let value: (Int) -> [Float] = { i in [Float(i % 13) * 0.01 + 0.1, Float((i * 7) % 11) * -0.02 - 0.1, 0.05] }
        var rng = SeededGenerator(seed: 3)
        let (a, logA) = Self.run(1_000, arrival: Array(0..<1_000), value: value)
        let (b, logB) = Self.run(1_000, arrival: Array(0..<1_000).shuffled(using: &rng), value: value)
        #expect(a.fold!.weightedMean() == b.fold!.weightedMean())
        #expect(logA.accepted == Array(0..<1_000) && logB.accepted == logA.accepted)
        #expect(a.kept.isEmpty && b.kept.isEmpty && a.fold!.count == 1_000)
        #expect(a.trainLoss == 0.5 && a.delivered == 1_000 && a.rejected == 0)
    }

    @Test("an outlier is refused in the warm-up and after it; the rest are folded")
    func outliers() {
        let boosted: Set<Int> = [3, 500]
        let (intake, log) = Self.run(1_000, arrival: Array(0..<1_000).reversed(), value: { i in
            boosted.contains(i) ? [1e6, 1e6] : [0.1 + Float(i % 5) * 0.01, -0.1]
        })
        #expect(log.rejected.map(\.0) == [3, 500], "\(log.rejected)")
        #expect(log.rejected.allSatisfy { $0.1.contains("is an outlier") })
        #expect(intake.fold!.count == 998)
    }

    @Test("a round of at most 32 updates is judged against its own whole median, as before streaming")
    func smallRoundWhole() {
        // The last update of 20 is an outlier only against the whole round's median: the first ones alone are large.
        let (_, log) = Self.run(20, arrival: Array(0..<20), value: { i in i < 3 ? [50, 0] : (i == 19 ? [40, 0] : [1, 0]) })
        #expect(Set(log.rejected.map(\.0)) == [0, 1, 2, 19], "\(log.rejected)")
    }

    @Test("validation failures are rejected, missing answers reported as missed, robust rules keep updates whole")
    func rejectionsAndMisses() {
        let log = Log()
        var intake = RoundIntake(order: [4, 2, 9], fold: nil, globalNorm: 1)
        intake.receive(9, .success(Self.update(9, [0.1])), judge: log.judge)
        intake.receive(4, .success(Self.update(4, [.nan])), judge: log.judge)
        #expect(log.rejected.map(\.0) == [4] && log.accepted.isEmpty)  // 9 waits for 2
        intake.finish(judge: log.judge)
        #expect(log.missed == [2])
        #expect(intake.kept.map(\.hospital) == ["h9"] && intake.fold == nil)
        #expect(intake.delivered == 2 && intake.rejected == 1)
    }
}
