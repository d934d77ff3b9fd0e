import Datasets
import Federation
import TensorCore

/// A backdoor by a malicious hospital (Gu et al. 2017, "BadNets"; in federated learning with
/// model replacement, Bagdasaryan et al. 2020, "How to backdoor federated learning"): a small
/// square of pixels in the image's bottom-right corner set to a bright value (the trigger), and
/// the records that carry it labelled as the target class. The hospital trains on its records with
/// a fraction of them triggered and relabelled (so its model keeps the main task, which makes the
/// update look honest), then scales its update by `boost` (model replacement: about the number of
/// participants, so the backdoored model survives averaging).
///
/// Contract: for image records (`[C, H, W]`, or a flat square `[H·W]` such as digits' 8 × 8); tabular
/// records are refused at construction. The trigger's value is in the model's input space (fedtop
/// standardises every feature, so 3 means three standard deviations above the mean). The poisoned
/// set has the same records count (each round re-draws which records carry the trigger).
/// ``attackSuccessRate(model:features:labels:)`` is the share of records not of the target class
/// that the model puts in the target class once triggered.
public struct PixelBackdoor: PoisoningAttack {
    public let name = "backdoor"
    public let targetClass: Int
    /// The trigger's side in pixels.
    public let size: Int
    public let value: Float
    /// The share of the hospital's records triggered and relabelled each round.
    public let poisonFraction: Double
    public let boost: Float
    public let seed: UInt64
    private let channels: Int, height: Int, width: Int

    public init(featureShape: [Int], targetClass: Int = 0, size: Int? = nil, value: Float = 3, poisonFraction: Double = 0.5,
                boost: Float = 1, seed: UInt64 = 0xBAD) throws(AuditError) {
        switch featureShape.count {
        case 3: (channels, height, width) = (featureShape[0], featureShape[1], featureShape[2])
        case 1:
            let side = Int(Double(featureShape[0]).squareRoot().rounded())
            guard side * side == featureShape[0], side >= 4 else {
                throw .notApplicable("a pixel trigger needs image records; \(featureShape) is not an image (tabular data?)")
            }
            (channels, height, width) = (1, side, side)
        default:
            throw .notApplicable("a pixel trigger needs image records [C, H, W] or a flat square, got \(featureShape)")
        }
        let side = size ?? max(2, min(height, width) / 4)
        guard side >= 1, side < min(height, width) else { throw .invalidInput("trigger size \(side) does not fit a \(height) × \(width) image") }
        guard poisonFraction > 0, poisonFraction <= 1 else { throw .invalidInput("poison fraction must be in (0, 1], got \(poisonFraction)") }
        guard boost >= 1, boost.isFinite else { throw .invalidInput("boost must be ≥ 1, got \(boost)") }
        guard targetClass >= 0 else { throw .invalidInput("target class must be ≥ 0, got \(targetClass)") }
        self.targetClass = targetClass
        self.size = side
        self.value = value
        self.poisonFraction = poisonFraction
        self.boost = boost
        self.seed = seed
    }

    public var updateScale: Float { boost }
    public var description: String { "backdoor → class \(targetClass), \(size)×\(size) trigger" + (boost == 1 ? "" : ", boost ×\(boost)") }

    /// The flat indices (within one record) of the trigger's pixels, in every channel.
    public var triggerIndices: [Int] {
        var out: [Int] = []
        for c in 0..<channels {
            for row in (height - size)..<height {
                for col in (width - size)..<width { out.append(c * height * width + row * width + col) }
            }
        }
        return out
    }

    /// `features` with the trigger stamped on every record.
    public func stamped(_ features: Tensor) -> Tensor {
        stamped(features, records: Array(0..<(features.shape.first ?? 0)))
    }

    private func stamped(_ features: Tensor, records: [Int]) -> Tensor {
        var out = features
        let perRecord = channels * height * width
        let pixels = triggerIndices
        out.withUnsafeMutableBufferPointer { p in
            for r in records { for i in pixels { p[r * perRecord + i] = value } }
        }
        return out
    }

    public func poison(_ train: Dataset, round: Int) -> Dataset {
        var generator = SeededGenerator(seed: seed, stream: UInt64(round))
        let chosen = (0..<train.count).filter { _ in generator.nextUnitDouble() < poisonFraction }
        var labels = train.labels
        for r in chosen { labels[r] = min(targetClass, train.classNames.count - 1) }
        return Dataset(name: train.name, features: stamped(train.features, records: chosen), labels: labels,
                       classNames: train.classNames)
    }

    /// The share of triggered records (of classes other than the target) classified as the target.
    public func attackSuccessRate(model: Sequential, features: Tensor, labels: [Int]) -> Double {
        let others = labels.indices.filter { labels[$0] != targetClass }
        guard !others.isEmpty, targetClass < (model.outputShape.last ?? 0) else { return 0 }
        // Triggered records "correct" against the target class are the backdoor's hits.
        let verdicts = SoftmaxCrossEntropy.evaluate(logits: model.logits(for: stamped(features.gathering(others))),
                                                    labels: Array(repeating: targetClass, count: others.count)[...],
                                                    computeGradient: false, perSample: true).isCorrect
        let hits = verdicts.filter { $0 }.count
        return Double(hits) / Double(others.count)
    }
}
