import Foundation
import Privacy
import TensorCore
import Testing

@Suite("Adversarial training: what --adversarial reads, and the batches it makes")
struct AdversarialTrainingTests {
    @Test("fgsm:EPS and pgd:EPS:STEPS[:ALPHA] read, and their spec reads back to the same value")
    func parsing() throws {
        let fgsm = try AdversarialTraining(parsing: "fgsm:0.25", ratio: 0.3)
        #expect(fgsm.attack == .fgsm && fgsm.epsilon == 0.25 && fgsm.ratio == 0.3)
        let pgd = try AdversarialTraining(parsing: "pgd:0.1:7")
        #expect(pgd.attack == .pgd(steps: 7, stepSize: nil, randomStart: true) && pgd.ratio == 0.5)
        let alpha = try AdversarialTraining(parsing: "pgd:0.1:7:0.02")
        #expect(alpha.attack == .pgd(steps: 7, stepSize: 0.02, randomStart: true))
        for t in [fgsm, pgd, alpha] { #expect(try AdversarialTraining(parsing: t.spec, ratio: t.ratio) == t) }
        #expect(alpha.description == "pgd:0.1:7:0.02, 50 % of records")
    }

    @Test("refused, naming what was wrong: no attack, bad numbers, ε outside (0, 10], ratio outside (0, 1], PGD steps and α out of range")
    func refusals() {
        let cases: [(String, Double, String)] = [
            ("", 0.5, "expected fgsm:EPS"), ("fgsm", 0.5, "expected fgsm:EPS"), ("cw:0.1", 0.5, "expected fgsm:EPS"),
            ("fgsm:x", 0.5, "'x' is not a number"), ("fgsm:nan", 0.5, "is not a number"), ("fgsm:0", 0.5, "adversarial ε"),
            ("fgsm:-1", 0.5, "adversarial ε"), ("fgsm:11", 0.5, "adversarial ε"), ("fgsm:0.1", 0, "ratio"),
            ("fgsm:0.1", 1.5, "ratio"), ("pgd:0.1", 0.5, "expected fgsm:EPS"), ("pgd:0.1:2.5", 0.5, "whole number"),
            ("pgd:0.1:0", 0.5, "PGD steps"), ("pgd:0.1:101", 0.5, "PGD steps"), ("pgd:0.1:5:0.2", 0.5, "step size α"),
            ("pgd:0.1:5:0", 0.5, "step size α"), ("fgsm:0.1:3", 0.5, "expected fgsm:EPS"),
        ]
        for (text, ratio, says) in cases {
            do {
                _ = try AdversarialTraining(parsing: text, ratio: ratio)
                Issue.record("'\(text)' at ratio \(ratio) was accepted")
            } catch {
                #expect(error.description.contains(says), "'\(text)': \(error)")
            }
        }
    }

    static func batch(n: Int, seed: UInt64) throws -> (Sequential, Tensor, [Int]) {
        var g = SeededGenerator(seed: seed)
        let x = Tensor(shape: [n, 6]) { g.fillNormal($0, std: 1) }
        let labels = (0..<n).map { _ in Int(g.next() % 3) }
        return (try ModelZoo.mlp(inputShape: [6], hidden: 8, classes: 3, seed: seed), x, labels)
    }

    @Test("mix: each row is its record or that record's adversarial example within ε; about ratio of them are replaced; seeded")
    func mixing() throws {
        let n = 2000
        let (model, x, labels) = try Self.batch(n: n, seed: 5)
        for (spec, ratio) in [("fgsm:0.2", 0.3), ("pgd:0.2:3", 0.5), ("fgsm:0.2", 1.0)] {
            let training = try AdversarialTraining(parsing: spec, ratio: ratio)
            let mixed = training.mix(model: model, inputs: x, labels: labels, seed: 11)
            #expect(mixed.shape == x.shape)
            let a = x.scalars, b = mixed.scalars
            var replaced = 0
            for i in 0..<n {
                let row = (i * 6)..<(i * 6 + 6)
                let distance = row.map { abs(Double(a[$0]) - Double(b[$0])) }.max()!
                #expect(distance <= 0.2, "\(spec): row \(i) moved \(distance)")
                if distance > 0 { replaced += 1 }
            }
            // Binomial(n, ratio): within 5 standard deviations (rows whose gradient is exactly 0 do not move).
            let sd = (Double(n) * ratio * (1 - ratio)).squareRoot()
            #expect(Double(replaced) >= Double(n) * ratio - 5 * sd - 1 && Double(replaced) <= Double(n) * ratio + 5 * sd,
                    "\(spec) at \(ratio): \(replaced) of \(n) replaced")
            #expect(training.mix(model: model, inputs: x, labels: labels, seed: 11).scalars == b, "not reproducible from its seed")
            if ratio < 1 { #expect(training.mix(model: model, inputs: x, labels: labels, seed: 12).scalars != b) }
        }
    }

    @Test("the replaced rows are the attack's own examples, and they raise the model's loss on their records")
    func replacedRowsAreAdversarial() throws {
        let (model, x, labels) = try Self.batch(n: 64, seed: 8)
        let training = try AdversarialTraining(parsing: "fgsm:0.3", ratio: 1)
        let mixed = training.mix(model: model, inputs: x, labels: labels, seed: 3)
        let direct = AdversarialExamples.perturb(model: model, inputs: x, labels: labels, epsilon: 0.3, attack: .fgsm, seed: 3)
        #expect(mixed.scalars == direct.scalars)
        func loss(_ t: Tensor) -> Double {
            SoftmaxCrossEntropy.evaluate(logits: model.logits(for: t), labels: labels[...], computeGradient: false).lossSum
        }
        #expect(loss(mixed) > loss(x))
    }

    @Test("DP-SGD with adversarial training: the same Poisson batches, each costing more loss, and a different model")
    func insideDPSGD() throws {
        let (model, x, labels) = try Self.batch(n: 400, seed: 21)
        let settings = try DPSGDSettings(noiseMultiplier: 1, clipNorm: 0.5, sampleRate: 0.1)
        var clean = try DPSGD(settings: settings, seed: 4), robust = try DPSGD(settings: settings, seed: 4)
        robust.adversarial = try AdversarialTraining(parsing: "pgd:0.5:3", ratio: 1)
        var m1 = model, m2 = model
        var o1 = SGD(learningRate: 0.1), o2 = SGD(learningRate: 0.1)
        let computer = GradientComputer(workers: 1)
        for _ in 0..<5 {
            let g1 = clean.step(model: &m1, features: x, labels: labels, optimizer: &o1, computer: computer)
            let g2 = robust.step(model: &m2, features: x, labels: labels, optimizer: &o2, computer: computer)
            #expect(g1.count == g2.count)
            #expect(g2.lossSum > g1.lossSum || g1.count == 0, "adversarial batches should cost more loss")
        }
        #expect(m1.parameters.scalars != m2.parameters.scalars)
    }

    @Test("JSON carries the spec and the ratio; decoding checks them as parsing does, so a bad value is an error")
    func codable() throws {
        for value in [try AdversarialTraining(parsing: "fgsm:0.3", ratio: 1), try AdversarialTraining(parsing: "pgd:0.2:7:0.05", ratio: 0.25)] {
            let data = try JSONEncoder().encode(value)
            #expect(try JSONDecoder().decode(AdversarialTraining.self, from: data) == value)
        }
        for bad in [#"{"spec":"pgd:99:5","ratio":0.5}"#, #"{"spec":"fgsm:0.3","ratio":2}"#, #"{"spec":"noise:1","ratio":0.5}"#, #"{"ratio":0.5}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(AdversarialTraining.self, from: Data(bad.utf8)) }
        }
    }
}
