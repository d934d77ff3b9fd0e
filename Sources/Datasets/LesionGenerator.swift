/// What the generator drew for one lesion image: the quantities of the ABCD rule of dermoscopy.
///
/// Units: pixels of the 28-pixel image. `asymmetry` is the fraction of the lesion that does not overlap
/// its 180° rotation about its centroid (0 symmetric, up to 1); `borderIrregularity` is the RMS
/// relative amplitude of the outline's high angular harmonics; `colourCount` counts the distinct
/// dermoscopic colours painted (base colour, colour areas, lacunae, a white centre).
public struct LesionTraits: Sendable, Equatable {
    /// The class index, in ``LesionGenerator/classNames``.
    public let diagnosis: Int
    /// The largest outline diameter, in pixels (may exceed the image when the lesion is cut off).
    public let diameter: Float
    /// The lesion's area inside the image, in pixels (its soft mask summed).
    public let area: Float
    public let asymmetry: Float
    public let borderIrregularity: Float
    public let colourCount: Int
}

/// A seeded generator of synthetic dermoscopy-like RGB images of skin lesions in HAM10000's seven
/// diagnostic classes, for demonstrating federated training on image data without patient images.
///
/// Contract:
/// - Feature shape `[3, 28, 28]`, channels-first (R, G, B planes), values in [0, 1].
/// - Classes ``classNames`` = `akiec, bcc, bkl, df, mel, nv, vasc`, drawn independently per image with
///   HAM10000's frequencies (``ham10000Counts``: 327, 514, 1099, 115, 1113, 6705, 142 of 10015), so nv
///   alone is 67% (the accuracy of always answering nv).
/// - Deterministic: image `i` depends only on `seed` and `i` (its own stream), so `generate(count: 100)`
///   is the first 100 images of `generate(count: 2000)` on every machine.
/// - The class signal follows the ABCD rule of dermoscopy (Stolz et al. 1994): Asymmetry (lobed,
///   off-centre outlines), Border irregularity (radial noise on the outline), Colour variegation
///   (several browns, black, blue-grey, red areas versus a uniform colour), Diameter; plus
///   class-typical features: vasc red/purple with dark lacunae, bcc pearly pink and translucent with
///   red vessels, akiec rough pink-red with white scale, df small with a pale centre, bkl light-brown
///   waxy with milia, mel large, asymmetric and variegated, nv small, regular and uniformly brown. Skin
///   tone, lighting gradient, vignetting, hair and noise vary independently of the class. Class
///   distributions overlap on purpose (wide ranges, and 5% of lesions take the size and outline of a
///   random class, 3% its number of colour areas), so the task is learnable but not trivial.
/// Provenance of the class set and frequencies: Tschandl, Rosendahl & Kittler, "The HAM10000 dataset"
/// (Scientific Data, 2018). The images are synthetic; no patient data is involved.
public struct LesionGenerator: Sendable {
    /// HAM10000's diagnostic classes, in class-index order.
    public static let classNames = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
    /// The number of HAM10000 images of each class (10015 in all).
    public static let ham10000Counts = [327, 514, 1099, 115, 1113, 6705, 142]
    /// The side of the square images, in pixels.
    public static let imageSize = LesionRenderer.size
    /// The shape of one record.
    public static let featureShape = [3, imageSize, imageSize]

    /// The seed that fixes every image.
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// `count` images named `lesions`.
    /// - Precondition: `count` ≥ 0.
    public func generate(count: Int) -> Dataset {
        generateWithTraits(count: count).dataset
    }

    /// `count` images and what was drawn in each (for tests and for explaining the data).
    /// - Precondition: `count` ≥ 0.
    public func generateWithTraits(count: Int) -> (dataset: Dataset, traits: [LesionTraits]) {
        precondition(count >= 0, "LesionGenerator: negative count \(count)")
        return render(Array(0..<count))
    }

    /// The diagnosis of each of the first `count` images, without rendering any (a cheap draw from
    /// each image's stream; equal to the labels of ``generate(count:)``).
    /// - Precondition: `count` ≥ 0.
    public func labels(count: Int) -> [Int] {
        precondition(count >= 0, "LesionGenerator: negative count \(count)")
        return (0..<count).map { i in
            var rng = SeededGenerator(seed: seed, stream: UInt64(i))
            return diagnosis(drawnFrom: &rng)
        }
    }

    /// Images `indices` (in that order, an index may repeat) and what was drawn in each: image `i` is
    /// image `i` of ``generate(count:)`` for any count above `i`.
    /// - Precondition: every index is ≥ 0.
    public func render(_ indices: [Int]) -> (dataset: Dataset, traits: [LesionTraits]) {
        precondition(indices.allSatisfy { $0 >= 0 }, "LesionGenerator: a negative image index")
        let itemCount = 3 * LesionRenderer.size * LesionRenderer.size
        var labels = [Int](repeating: 0, count: indices.count)
        var traits: [LesionTraits] = []
        traits.reserveCapacity(indices.count)
        let features = Tensor(shape: [indices.count] + Self.featureShape) { out in
            for (k, i) in indices.enumerated() {
                var rng = SeededGenerator(seed: seed, stream: UInt64(i))
                let diagnosis = diagnosis(drawnFrom: &rng)
                labels[k] = diagnosis
                let image = UnsafeMutableBufferPointer(rebasing: out[(k * itemCount)..<((k + 1) * itemCount)])
                traits.append(LesionRenderer.draw(diagnosis: diagnosis, rng: &rng, into: image))
            }
        }
        return (Dataset(name: "lesions", features: features, labels: labels, classNames: Self.classNames), traits)
    }

    /// An image's class, drawn with HAM10000's frequencies as the first draw of its stream.
    private func diagnosis(drawnFrom rng: inout SeededGenerator) -> Int {
        let u = rng.nextUnitDouble()
        return Self.cumulativeFrequencies.firstIndex { u < $0 } ?? (Self.cumulativeFrequencies.count - 1)
    }

    /// The running sums of HAM10000's class frequencies.
    private static let cumulativeFrequencies: [Double] = {
        let total = Double(ham10000Counts.reduce(0, +))
        var running = 0.0
        return ham10000Counts.map { running += Double($0) / total; return running }
    }()
}

/// The synthetic lesions as a ``RecordSource``: labels drawn up front (cheap), images rendered only
/// when drawn, so a federation holds each image once, in its hospital's share.
///
/// Contract: `records(indices)` equals `LesionGenerator(seed:).generate(count:).subset(indices)` bit
/// for bit; `name` is `lesions`.
public struct LesionSource: RecordSource {
    public let generator: LesionGenerator
    public let labels: [Int]

    /// The first `count` images of `LesionGenerator(seed: seed)`.
    /// - Precondition: `count` ≥ 0.
    public init(seed: UInt64, count: Int) {
        generator = LesionGenerator(seed: seed)
        labels = generator.labels(count: count)
    }

    public var name: String { "lesions" }
    public var classNames: [String] { LesionGenerator.classNames }
    public var featureShape: [Int] { LesionGenerator.featureShape }

    public func records(_ indices: [Int]) -> Dataset {
        precondition(indices.allSatisfy { $0 < labels.count }, "LesionSource: an index outside 0..<\(labels.count)")
        return generator.render(indices).dataset
    }
}
