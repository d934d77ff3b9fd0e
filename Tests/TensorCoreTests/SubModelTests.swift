import Testing
import TensorCore

@Suite("Federated-dropout sub-models")
struct SubModelTests {
    /// The zoo's models with hidden layers, at small input sizes.
    static func models() throws -> [Sequential] {
        [try ModelZoo.mlp(inputShape: [30], hidden: 16, classes: 2, seed: 4),
         try ModelZoo.tinyCNN(inputShape: [3, 8, 8], classes: 7, seed: 5),
         try ModelZoo.smallCNN(inputShape: [1, 8, 8], classes: 10, seed: 6)]
    }

    @Test("gather then scatter keeps the kept coordinates and zeroes the rest; the index map is one-to-one", arguments: [0.25, 0.5, 0.75, 1.0])
    func roundTrip(keep: Double) throws {
        for model in try Self.models() {
            let sub = try model.subModel(.random(for: model, keep: keep, seed: 9))
            #expect(Set(sub.indices).count == sub.indices.count)
            #expect(sub.indices.allSatisfy { $0 >= 0 && Int($0) < model.parameterCount })
            #expect(sub.model.parameterCount == sub.indices.count)
            let full = TestSupport.randomTensor([model.parameterCount], seed: 2)
            let back = sub.scatter(sub.gather(full))
            let kept = Set(sub.indices.map(Int.init))
            for i in 0..<model.parameterCount {
                #expect(back[flat: i] == (kept.contains(i) ? full[flat: i] : 0), "\(model.kind) parameter \(i)")
            }
            // And the other way round: a sub-model vector survives the trip unchanged.
            let small = TestSupport.randomTensor([sub.indices.count], seed: 3)
            #expect(sub.gather(sub.scatter(small)).scalars == small.scalars)
            if keep == 1 { #expect(sub.indices.count == model.parameterCount) } else { #expect(sub.indices.count < model.parameterCount) }
        }
    }

    @Test("the sub-model computes what the full model computes with the dropped units' parameters at zero, logits and gradients alike")
    func sameFunction() throws {
        let computer = GradientComputer(workers: 1)
        for model in try Self.models() {
            var full = model
            let sub = try full.subModel(.random(for: model, keep: 0.5, seed: 21))
            // The full model with every dropped coordinate zero: a dropped unit then outputs 0 (tanh, ReLU of 0).
            full.parameters = sub.scatter(sub.model.parameters)
            let x = TestSupport.randomTensor([5] + model.inputShape, seed: 8)
            let y = TestSupport.randomLabels(5, classes: model.outputShape[0], seed: 9)
            let a = sub.model.logits(for: x), b = full.logits(for: x)
            for i in 0..<a.count { #expect(abs(a[flat: i] - b[flat: i]) <= 1e-5, "\(model.kind) logit \(i)") }
            let gSub = computer.compute(model: sub.model, inputs: x, labels: y).gradient
            let gFull = sub.gather(computer.compute(model: full, inputs: x, labels: y).gradient)
            for i in 0..<gSub.count {
                #expect(abs(gSub[flat: i] - gFull[flat: i]) <= 1e-4 + 1e-4 * abs(gFull[flat: i]), "\(model.kind) gradient \(i)")
            }
        }
    }

    @Test("a random mask keeps round(keep · units) of each hidden layer, is the same for the same seed, and differs between seeds")
    func randomMask() throws {
        let model = try ModelZoo.smallCNN(inputShape: [1, 8, 8], classes: 10, seed: 6)
        #expect(model.hiddenUnits == [16, 32, 128])
        let m = SubModelMask.random(for: model, keep: 0.5, seed: 1)
        #expect(m.keptUnits.map(\.count) == [8, 16, 64])
        #expect(m.keptUnits.allSatisfy { $0 == $0.sorted() && Set($0).count == $0.count })
        #expect(m == SubModelMask.random(for: model, keep: 0.5, seed: 1))
        #expect(m != SubModelMask.random(for: model, keep: 0.5, seed: 2))
        #expect(SubModelMask.random(for: model, keep: 0.01, seed: 1).keptUnits.map(\.count) == [1, 1, 1])
        let logistic = try ModelZoo.logisticRegression(inputShape: [30], classes: 2, seed: 1)
        #expect(logistic.hiddenUnits.isEmpty)
        #expect(try logistic.subModel(SubModelMask(keptUnits: [])).indices.count == logistic.parameterCount)
    }

    @Test("a mask that does not fit the model is refused with its reason")
    func refusals() throws {
        let model = try ModelZoo.mlp(inputShape: [30], hidden: 16, classes: 2, seed: 4)
        let cases: [([[Int]], String)] = [
            ([], "names 0 hidden layer(s), mlp has 1"),
            ([[0], [1]], "names 2 hidden layer(s)"),
            ([[]], "keeps no unit"),
            ([[3, 16]], "unit 16 outside 0..<16"),
            ([[-1, 2]], "unit -1 outside"),
            ([[4, 2]], "not strictly ascending"),
            ([[2, 2]], "not strictly ascending"),
        ]
        for (units, reason) in cases {
            #expect {
                _ = try model.subModel(SubModelMask(keptUnits: units))
            } throws: { error in
                "\(error)".contains(reason)
            }
        }
    }
}
