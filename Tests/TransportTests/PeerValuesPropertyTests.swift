import Federation
import Foundation
import TensorCore
import Testing
@testable import Transport

/// Random values, extremes favoured, thrown into every numeric field of the messages a hospital sends.
/// The property: the console's checks never trap, and whatever they accept keeps every later piece of
/// arithmetic (FedAvg weights, the weighted loss, the weighted evaluation, the model's shape) finite
/// and in range.
@Suite("Property: forged numbers in every field of Hello, UpdateHeader and EvaluateReply")
struct PeerValuesPropertyTests {
    struct Draw {
        var generator = SeededGenerator(seed: 0xbad_f00d)

        mutating func count() -> UInt64 {
            switch generator.next() % 6 {
            case 0: return .max
            case 1: return 0
            case 2: return UInt64(Int.max) + generator.next() % 1_000
            case 3: return generator.next() % 200
            case 4: return 1 << (generator.next() % 64)
            default: return generator.next()
            }
        }

        mutating func real() -> Double {
            switch generator.next() % 8 {
            case 0: return .nan
            case 1: return .infinity
            case 2: return -.infinity
            case 3: return -Double(generator.next() % 1000) / 7
            case 4: return .greatestFiniteMagnitude
            case 5: return Double(generator.next() % 1000) / 1000
            case 6: return .leastNonzeroMagnitude
            default: return Double(bitPattern: generator.next())
            }
        }
    }

    @Test("2,000 forged update headers: accepted ones have 1 ≤ records ≤ announced, finite losses, and their FedAvg weights sum finitely")
    func updateHeaders() {
        var draw = Draw()
        let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0, samplePrivacy: nil)
        var weights: [Double] = [], weightedLoss = 0.0, accepted = 0
        for _ in 0..<2_000 {
            let announced = Int(draw.count() % (1 << 40))
            var h = Fedtop_V1_UpdateHeader()
            h.round = draw.count()
            h.parameterCount = draw.count()
            h.sampleCount = draw.count()
            h.trainLoss = draw.real()
            h.clippedFraction = draw.real()
            h.epsilonSpent = draw.real()
            h.seconds = draw.real()
            guard PeerValues.problem(update: h, settings: settings, trainRecords: announced) == nil else { continue }
            accepted += 1
            let records = WireFormat.int(h.sampleCount)
            #expect(records >= 1 && records <= max(1, announced))
            #expect(h.trainLoss.isFinite && h.trainLoss >= 0 && (0...1).contains(h.clippedFraction))
            let update = HospitalUpdate(hospital: "h", round: 1, delta: Tensor([0.5]), sampleCount: records, trainLoss: h.trainLoss,
                                        clippedFraction: h.clippedFraction, spend: nil, epsilonSpent: h.epsilonSpent,
                                        secureNoise: true, seconds: 0)
            #expect(UpdateValidator(parameterCount: 1).problem(with: update, round: 1, records: max(1, announced)) == nil)
            weights.append(Double(records))
            weightedLoss += h.trainLoss * Double(records)
        }
        #expect(accepted > 10)
        #expect(weights.reduce(0, +).isFinite)
        #expect(AggregationMath.weightedMean(Array(repeating: Tensor([0.5]), count: weights.count), weights: weights).isFinite)
        _ = weightedLoss  // may overflow to ∞ only if losses near Double.max were accepted; the engine divides in Double
    }

    @Test("2,000 forged evaluations: accepted ones weigh into a finite federated evaluation with accuracy in [0, 1]")
    func evaluations() {
        var draw = Draw()
        var parts: [EvaluationMetrics] = []
        for _ in 0..<2_000 {
            let announced = Int(draw.count() % (1 << 40))
            var m = Fedtop_V1_EvaluateReply()
            m.count = draw.count()
            m.loss = draw.real()
            m.accuracy = draw.real()
            if draw.generator.next() % 2 == 0 { m.auc = draw.real() }
            guard PeerValues.problem(evaluation: m, testRecords: announced) == nil else { continue }
            let metrics = WireFormat.metrics(m)
            #expect(metrics.problem(testRecords: max(1, announced)) == nil)
            if metrics.loss < 1e6 { parts.append(metrics) }
        }
        #expect(parts.count > 10)
        let total = EvaluationMetrics.weighted(parts)
        #expect(total.map { $0.loss.isFinite && (0...1).contains($0.accuracy) } == true)
    }

    @Test("2,000 forged Hellos: accepted ones have a shape whose product fits, class counts within the records, a valid budget")
    func hellos() {
        var draw = Draw()
        var accepted = 0
        for _ in 0..<2_000 {
            var r = Fedtop_V1_HelloReply()
            r.name = draw.generator.next() % 5 == 0 ? String(repeating: "x", count: 300) : "h\(draw.generator.next() % 100)"
            r.dataset.trainRecords = draw.count() % 3 == 0 ? draw.count() % 1000 : draw.count()
            r.dataset.testRecords = draw.count()
            // Mostly plausible, with every field forged often enough: half the draws are near-valid.
            let plausible = draw.generator.next() % 2 == 0
            let classes = plausible ? 2 + Int(draw.generator.next() % 3) : Int(draw.generator.next() % 4)
            r.dataset.classNames = (0..<classes).map { "c\($0)" }
            let counts = plausible && draw.generator.next() % 2 == 0 ? 0 : Int(draw.generator.next() % 4)
            r.dataset.classCounts = (0..<counts).map { _ in draw.count() % 600 }
            let dims = plausible ? 1 + Int(draw.generator.next() % 3) : Int(draw.generator.next() % 4)
            r.dataset.featureShape = (0..<dims).map { _ in
                UInt32(truncatingIfNeeded: plausible ? 1 + draw.generator.next() % 64 : draw.count() % 70_000)
            }
            if plausible {
                r.name = "h\(draw.generator.next() % 100)"
                r.dataset.trainRecords = 1 + draw.generator.next() % 5_000
            }
            r.privacy.dpSgd = draw.generator.next() % 2 == 0
            r.privacy.epsilonBudget = draw.real()
            r.privacy.delta = draw.real()
            r.privacy.epsilonSpent = draw.real()
            if plausible && draw.generator.next() % 2 == 0 {
                r.privacy.epsilonBudget = 3
                r.privacy.delta = 1e-5
                r.privacy.epsilonSpent = 0.5
            }
            guard PeerValues.problem(hello: r) == nil else { continue }
            accepted += 1
            let shape = r.dataset.featureShape.map { Int($0) }
            #expect(shape.reduce(1, *) <= PeerValues.maxFeatureValues)
            #expect(r.dataset.classCounts.reduce(0, +) <= r.dataset.trainRecords)
            #expect(r.privacy.epsilonSpent.isFinite)
            if r.privacy.dpSgd { #expect(r.privacy.epsilonBudget > 0 && r.privacy.delta > 0 && r.privacy.delta < 1) }
        }
        #expect(accepted > 10)
    }
}
