import Testing
import TensorCore
import Audit

@Suite("Evasion attacks: FGSM and PGD")
struct AdversarialExamplesTests {
    static let pgd = AdversarialAttack.pgd(steps: 10, stepSize: nil, randomStart: true)
    static let attacks: [AdversarialAttack] = [.fgsm, pgd, .pgd(steps: 5, stepSize: 0.3, randomStart: false)]

    static func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape) { g.fillNormal($0, std: std) }
    }

    static func randomLabels(_ n: Int, classes: Int, seed: UInt64) -> [Int] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Int(g.next() % UInt64(classes)) }
    }

    /// max |aⱼ − bⱼ|, in Double.
    static func maxDistance(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0) { max($0, abs(Double($1.0) - Double($1.1))) }
    }

    /// `perClass` samples around each class centre 3·e_c (c < 4) with N(0, 0.5²) noise in 4 features:
    /// centres 4.2 apart, so the classes are separable with a wide margin.
    static func blobs(classes: Int, perClass: Int, seed: UInt64) -> (features: Tensor, labels: [Int]) {
        var g = SeededGenerator(seed: seed)
        var scalars: [Float] = [], labels: [Int] = []
        for i in 0..<(classes * perClass) {
            let c = i % classes
            for j in 0..<4 { scalars.append((j == c ? 3 : 0) + Float(0.5 * g.nextNormal())) }
            labels.append(c)
        }
        return (Tensor(shape: [classes * perClass, 4], scalars: scalars), labels)
    }

    /// Full-batch gradient descent on the mean loss.
    static func train(_ model: inout Sequential, _ data: (features: Tensor, labels: [Int]), steps: Int,
                      learningRate: Float) {
        let computer = GradientComputer(workers: 1)
        let n = Float(data.labels.count)
        for _ in 0..<steps {
            let batch = computer.compute(model: model, inputs: data.features, labels: data.labels)
            model.parameters.add(batch.gradient, scaledBy: -learningRate / n)
        }
    }

    static func meanLoss(_ model: Sequential, _ x: Tensor, _ y: [Int]) -> Double {
        SoftmaxCrossEntropy.evaluate(logits: model.logits(for: x), labels: y[...], computeGradient: false).lossSum
            / Double(y.count)
    }

    @Test("names: fgsm, pgd-<steps>")
    func names() {
        #expect(AdversarialAttack.fgsm.name == "fgsm")
        #expect(Self.pgd.name == "pgd-10")
        #expect(AdversarialAttack.pgd(steps: 40, stepSize: 0.01, randomStart: false).name == "pgd-40")
    }

    @Test("every attack stays within ε in L∞ (and moves FGSM by exactly ε where the gradient is non-zero)",
          arguments: [0.05, 0.3, 1.0])
    func withinBudget(epsilon: Double) throws {
        let model = try ModelZoo.mlp(inputShape: [6], hidden: 12, classes: 3, seed: 1)
        let x = Self.randomTensor([40, 6], seed: 2, std: 2)
        let y = Self.randomLabels(40, classes: 3, seed: 3)
        for attack in Self.attacks {
            let adversarial = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: epsilon, attack: attack, seed: 4)
            #expect(adversarial.shape == x.shape)
            #expect(Self.maxDistance(adversarial, x) <= epsilon + 1e-6, "\(attack.name) at ε \(epsilon)")
            #expect(Self.maxDistance(adversarial, x) > epsilon / 2, "\(attack.name) barely moved")
        }
        let fgsm = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: epsilon, attack: .fgsm, seed: 4)
        let g = model.inputGradient(x, labels: y).gradient
        for k in 0..<x.count where g[flat: k] != 0 {
            #expect(abs(abs(Double(fgsm[flat: k]) - Double(x[flat: k])) - epsilon) <= 1e-6)
        }
    }

    @Test("bounds are respected, and the result stays within ε of inputs that lie in them")
    func bounds() throws {
        let model = try ModelZoo.logisticRegression(inputShape: [1, 4, 4], classes: 3, seed: 5)
        var g = SeededGenerator(seed: 6)
        let x = Tensor(shape: [20, 1, 4, 4]) { for k in 0..<$0.count { $0[k] = g.nextUnitFloat() } }
        let y = Self.randomLabels(20, classes: 3, seed: 7)
        for attack in Self.attacks {
            let adversarial = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0.3, attack: attack,
                                              bounds: 0...1, seed: 8)
            #expect(adversarial.scalars.allSatisfy { (0...1).contains($0) }, "\(attack.name)")
            #expect(Self.maxDistance(adversarial, x) <= 0.3 + 1e-6, "\(attack.name)")
        }
    }

    @Test("ε = 0 returns the inputs unchanged; the same seed gives the same examples")
    func zeroBudgetAndDeterminism() throws {
        let model = try ModelZoo.mlp(inputShape: [5], hidden: 8, classes: 2, seed: 9)
        let x = Self.randomTensor([10, 5], seed: 10)
        let y = Self.randomLabels(10, classes: 2, seed: 11)
        for attack in Self.attacks {
            let same = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0, attack: attack, bounds: -0.1...0.1, seed: 12)
            #expect(same == x, "\(attack.name)")
            let a = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0.2, attack: attack, seed: 12)
            let b = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0.2, attack: attack, seed: 12)
            #expect(a == b, "\(attack.name)")
        }
        let first = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0.2,
                                    attack: .pgd(steps: 1, stepSize: 0.01, randomStart: true), seed: 12)
        let second = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: 0.2,
                                     attack: .pgd(steps: 1, stepSize: 0.01, randomStart: true), seed: 13)
        #expect(first != second, "the random start ignores the seed")
    }

    @Test("FGSM on two-class logistic regression is the closed form x + ε·sign(w_wrong − w_true)")
    func closedForm() throws {
        var model = try ModelZoo.logisticRegression(inputShape: [4], classes: 2, seed: 14)
        let w0: [Float] = [0.5, -1.0, 0.25, 2.0], w1: [Float] = [-0.5, 1.5, 0.75, -1.0]
        try model.setParameters(Tensor(w0 + w1 + [0.1, -0.2]))
        let x = Self.randomTensor([12, 4], seed: 15)
        let y = Self.randomLabels(12, classes: 2, seed: 16)
        let epsilon = 0.125
        let adversarial = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: epsilon, attack: .fgsm, seed: 0)
        for i in 0..<12 {
            let (wrong, right) = y[i] == 0 ? (w1, w0) : (w0, w1)
            for j in 0..<4 {
                let direction: Double = wrong[j] - right[j] > 0 ? 1 : -1
                let expected = Double(x[i, j]) + epsilon * direction
                #expect(abs(Double(adversarial[i, j]) - expected) <= 1e-6, "sample \(i) feature \(j)")
            }
        }
        // With two classes the sign direction does not depend on x, so PGD ends in the same corner.
        let pgd = AdversarialExamples.perturb(model: model, inputs: x, labels: y, epsilon: epsilon, attack: Self.pgd, seed: 17)
        #expect(Self.maxDistance(pgd, adversarial) <= 1e-6)
    }

    @Test("on a trained logistic regression, accuracy is clean at ε = 0 and falls monotonically as ε grows")
    func trainedLogistic() throws {
        let data = Self.blobs(classes: 2, perClass: 60, seed: 18)
        var model = try ModelZoo.logisticRegression(inputShape: [4], classes: 2, seed: 19)
        Self.train(&model, data, steps: 200, learningRate: 0.5)
        let epsilons = [0, 0.25, 0.5, 1, 1.5, 2, 3]
        let results = Evasion.robustAccuracy(model: model, features: data.features, labels: data.labels,
                                             epsilons: epsilons, attacks: [.fgsm, Self.pgd], seed: 20)
        #expect(results.count == 2 * epsilons.count)
        #expect(results.map(\.attack) == Array(repeating: "fgsm", count: 7) + Array(repeating: "pgd-10", count: 7))
        #expect(results.map(\.epsilon) == epsilons + epsilons)
        #expect(results.allSatisfy { $0.count == 120 })
        let clean = results[0].accuracy
        #expect(clean >= 0.98)
        #expect(results[7].accuracy == clean)
        for attack in 0..<2 {
            let curve = results[(attack * 7)..<(attack * 7 + 7)].map(\.accuracy)
            for k in 1..<curve.count { #expect(curve[k] <= curve[k - 1], "\(results[attack * 7].attack): \(curve)") }
            #expect(curve[6] < 0.1, "ε = 3 should break a model whose classes are 4.2 apart")
        }
        for k in 0..<7 { #expect(results[7 + k].accuracy <= results[k].accuracy + 0.02) }
    }

    @Test("on a trained MLP, accuracy is non-increasing in ε, PGD is at least as strong as FGSM, and PGD raises the loss")
    func trainedMLP() throws {
        let data = Self.blobs(classes: 3, perClass: 50, seed: 21)
        var model = try ModelZoo.mlp(inputShape: [4], hidden: 16, classes: 3, seed: 22)
        Self.train(&model, data, steps: 300, learningRate: 0.5)
        let epsilons = [0, 0.25, 0.5, 1, 1.5, 2, 3]
        let results = Evasion.robustAccuracy(model: model, features: data.features, labels: data.labels,
                                             epsilons: epsilons, attacks: [.fgsm, Self.pgd], seed: 23)
        let fgsm = results.prefix(7).map(\.accuracy), pgd = results.suffix(7).map(\.accuracy)
        #expect(fgsm[0] >= 0.98 && pgd[0] == fgsm[0])
        for k in 1..<7 {
            #expect(fgsm[k] <= fgsm[k - 1], "fgsm: \(fgsm)")
            #expect(pgd[k] <= pgd[k - 1], "pgd: \(pgd)")
            #expect(pgd[k] <= fgsm[k] + 0.02, "ε \(epsilons[k]): pgd \(pgd[k]) > fgsm \(fgsm[k])")
        }
        #expect(pgd[6] < 0.1)
        #expect(zip(pgd, fgsm).contains { $0 < $1 }, "PGD should find examples FGSM misses at some ε: \(pgd) vs \(fgsm)")
        for epsilon in [0.25, 1.0] {
            let adversarial = AdversarialExamples.perturb(model: model, inputs: data.features, labels: data.labels,
                                              epsilon: epsilon, attack: Self.pgd, seed: 24)
            #expect(Self.meanLoss(model, adversarial, data.labels) > Self.meanLoss(model, data.features, data.labels))
        }
    }
}
