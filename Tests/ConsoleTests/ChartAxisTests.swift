import Foundation
import Console
import Testing

@Suite("Chart axes: nice ticks, data-fitted ranges, round numbers that fit")
struct ChartAxisTests {
    @Test("a nice step is 1, 2, 2.5 or 5 × 10ⁿ and at least the raw step")
    func niceSteps() {
        for raw in [0.013, 0.07, 0.3, 0.45, 0.9, 1, 1.7, 3.3, 7, 12, 260] {
            let s = ChartAxis.niceStep(raw)
            let mantissa = s / pow(10, floor(log10(s) + 1e-9))
            #expect(s >= raw * (1 - 1e-9), "\(raw) → \(s)")
            #expect([1, 2, 2.5, 5, 10].contains { abs($0 - mantissa) < 1e-9 }, "\(raw) → \(s)")
            #expect(s < raw * 2.6, "\(raw) → \(s) is the smallest")
        }
    }

    @Test("the y range is fitted to the data: it holds every finite value, not much more, and ends on ticks")
    func fittedRange() {
        let losses = [1.9, 1.4, 1.1, 0.93, 0.81, 0.62, 0.55, .nan, .infinity]
        let s = ChartAxis.scale(for: losses, ticks: 4)
        #expect(s.range.lowerBound <= 0.55 && s.range.upperBound >= 1.9)
        #expect(s.range.lowerBound >= 0.4, "the losses never go near 0, so the axis does not start there: \(s.range)")
        #expect((s.range.upperBound - s.range.lowerBound) <= 2 * (1.9 - 0.55))
        #expect(s.ticks.first == s.range.lowerBound && s.ticks.last == s.range.upperBound)
        #expect(zip(s.ticks, s.ticks.dropFirst()).allSatisfy { $0 < $1 })
        #expect(s.ticks.count >= 2 && s.ticks.count <= 5)
        #expect(Set(s.ticks.map(s.label)).count == s.ticks.count, "labels tell ticks apart: \(s.ticks.map(s.label))")
    }

    @Test("a range inside limits stays inside them (accuracy in 0…1); one value gets a range around it")
    func limits() {
        let s = ChartAxis.scale(for: [0.97, 0.99, 1.0], ticks: 3, within: 0...1)
        #expect(s.range.upperBound <= 1 && s.range.lowerBound <= 0.97)
        let one = ChartAxis.scale(for: [0.7], ticks: 3)
        #expect(one.range.lowerBound < 0.7 && one.range.upperBound > 0.7)
        let none = ChartAxis.scale(for: [], ticks: 3, within: 0...1)
        #expect(none.range == 0...1)
    }

    @Test("round ticks show the first and last round, on nice steps, with labels that never touch", arguments: [2, 7, 10, 30, 31, 100, 250])
    func roundTicks(last: Int) {
        for width in [12, 20, 33, 40, 58, 80, 120] {
            let column = { (r: Int) in BrailleChart.column(of: Double(r), domain: 1...Double(last), width: width, kind: .braille) }
            let ticks = ChartAxis.roundTicks(first: 1, last: last, width: width, column: column)
            #expect(ticks.first?.round == 1)
            #expect(ticks.last?.round == last, "width \(width), last \(last): \(ticks.map(\.round))")
            for (a, b) in zip(ticks, ticks.dropFirst()) {
                #expect(a.labelStart + String(a.round).count < b.labelStart, "labels \(a.round) and \(b.round) touch at width \(width)")
            }
            #expect(ticks.allSatisfy { $0.labelStart >= 0 && $0.labelStart + String($0.round).count <= width })
            let inner = ticks.dropFirst().dropLast().map(\.round)
            if inner.count >= 2 {
                let step = inner[1] - inner[0]
                #expect([1, 2, 5, 10, 20, 25, 50, 100].contains(step) && inner.allSatisfy { $0 % step == 0 }, "\(inner)")
            }
        }
    }

    @Test("at 58 columns a 30-round run is labelled every 5 rounds or closer")
    func denseEnough() {
        let column = { (r: Int) in BrailleChart.column(of: Double(r), domain: 1...30, width: 58, kind: .braille) }
        let rounds = ChartAxis.roundTicks(first: 1, last: 30, width: 58, column: column).map(\.round)
        #expect(rounds.contains(5) && rounds.contains(10) && rounds.contains(25), "\(rounds)")
    }
}

