import TensorCore

/// A model's accuracy on inputs perturbed by one attack at one budget.
///
/// Contract: `accuracy` is the fraction of the `count` samples whose perturbed input is still
/// classified as its label (0 when `count` is 0); at `epsilon` 0 it is the clean accuracy.
public struct EvasionResult: Sendable, Equatable {
    /// ``AdversarialAttack/name``.
    public var attack: String
    /// The L∞ budget, in the model's input space.
    public var epsilon: Double
    public var accuracy: Double
    public var count: Int

    public init(attack: String, epsilon: Double, accuracy: Double, count: Int) {
        self.attack = attack
        self.epsilon = epsilon
        self.accuracy = accuracy
        self.count = count
    }
}

/// The robust accuracy a trained model keeps under evasion attacks (``AdversarialExamples``: FGSM,
/// Goodfellow et al. 2015; PGD under L∞, Madry et al. 2018).
///
/// Contract: ε and the examples are as ``AdversarialExamples`` makes them; `features` are `[n] +
/// model.inputShape` with one label per sample (programmer errors trap with a message).
public enum Evasion {
    /// The model's accuracy under each attack at each budget, attack-major: for each of `attacks` in
    /// order, one result per ε of `epsilons` in order. At ε = 0 every attack reports the clean accuracy.
    /// Every (attack, ε) uses the same `seed` (common random numbers), so rows differ by ε and attack,
    /// not by the draw.
    public static func robustAccuracy(model: Sequential, features: Tensor, labels: [Int], epsilons: [Double],
                                      attacks: [AdversarialAttack], bounds: ClosedRange<Float>? = nil,
                                      seed: UInt64) -> [EvasionResult] {
        precondition(features.rank >= 1 && labels.count == features.shape[0],
                     "Evasion: \(labels.count) labels for features of shape \(features.shape)")
        let clean = accuracy(model: model, inputs: features, labels: labels)
        var results: [EvasionResult] = []
        for attack in attacks {
            for epsilon in epsilons {
                let value = epsilon == 0
                    ? clean
                    : accuracy(model: model, inputs: AdversarialExamples.perturb(model: model, inputs: features, labels: labels, epsilon: epsilon,
                                                                               attack: attack, bounds: bounds, seed: seed),
                               labels: labels)
                results.append(EvasionResult(attack: attack.name, epsilon: epsilon, accuracy: value, count: labels.count))
            }
        }
        return results
    }

    /// The fraction of samples whose largest logit is their label (first on ties, as the loss counts it).
    static func accuracy(model: Sequential, inputs: Tensor, labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let predictions = model.logits(for: inputs).argmaxRows()
        let correct = zip(predictions, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Double(correct) / Double(labels.count)
    }
}
