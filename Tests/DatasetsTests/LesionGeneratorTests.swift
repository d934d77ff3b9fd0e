import Testing
@testable import Datasets

@Suite("LesionGenerator")
struct LesionGeneratorTests {
    static let sample = LesionGenerator(seed: 42).generateWithTraits(count: 1500)

    @Test("the classes are HAM10000's seven, and images are [3, 28, 28] in [0, 1]")
    func shapeAndRange() {
        let d = Self.sample.dataset
        #expect(d.classNames == ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"])
        #expect(d.featureShape == [3, 28, 28])
        #expect(d.features.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("the same seed gives the same images; a prefix is the same images; another seed differs")
    func deterministic() {
        let a = LesionGenerator(seed: 7).generate(count: 20)
        let b = LesionGenerator(seed: 7).generate(count: 20)
        #expect(a.features == b.features && a.labels == b.labels)
        #expect(LesionGenerator(seed: 7).generate(count: 5).features == a.features.slice(0..<5))
        #expect(LesionGenerator(seed: 8).generate(count: 20).features != a.features)
    }

    @Test("class frequencies are near HAM10000's")
    func frequencies() {
        let counts = Self.sample.dataset.classCounts
        let total = Double(LesionGenerator.ham10000Counts.reduce(0, +))
        for (k, expected) in LesionGenerator.ham10000Counts.enumerated() {
            let p = Double(expected) / total, observed = Double(counts[k]) / 1500
            let tolerance = 4 * (p * (1 - p) / 1500).squareRoot() + 0.002
            #expect(abs(observed - p) < tolerance, "\(LesionGenerator.classNames[k]): \(observed) vs \(p)")
        }
    }

    static func mean(_ k: Int, _ value: (LesionTraits) -> Float) -> Float {
        let t = sample.traits.filter { $0.diagnosis == k }
        return t.map(value).reduce(0, +) / Float(t.count)
    }

    static let (akiec, bcc, bkl, df, mel, nv, vasc) = (0, 1, 2, 3, 4, 5, 6)

    @Test("ABCD: melanomas are larger, more asymmetric, more irregular and more variegated than nevi")
    func abcdMelanomaVersusNevus() {
        #expect(Self.mean(Self.mel, \.area) > 1.4 * Self.mean(Self.nv, \.area))
        #expect(Self.mean(Self.mel, \.diameter) > Self.mean(Self.nv, \.diameter) + 3)
        #expect(Self.mean(Self.mel, \.asymmetry) > 1.5 * Self.mean(Self.nv, \.asymmetry))
        #expect(Self.mean(Self.mel, \.borderIrregularity) > 2 * Self.mean(Self.nv, \.borderIrregularity))
        #expect(Self.mean(Self.mel, { Float($0.colourCount) }) > Self.mean(Self.nv, { Float($0.colourCount) }) + 1)
        #expect(Self.mean(Self.df, \.area) < Self.mean(Self.bkl, \.area))
    }

    @Test("the class distributions overlap: some nevi are larger than some melanomas")
    func overlap() {
        let melAreas = Self.sample.traits.filter { $0.diagnosis == Self.mel }.map(\.area).sorted()
        let nvAreas = Self.sample.traits.filter { $0.diagnosis == Self.nv }.map(\.area).sorted()
        let melQuartile = melAreas[melAreas.count / 4], nvUpper = nvAreas[nvAreas.count * 9 / 10]
        #expect(nvUpper > melQuartile)
    }

    /// Mean of red minus green over the central 10×10 pixels of the images of class `k`.
    static func centreRedness(_ k: Int) -> Float {
        let d = sample.dataset
        var total: Float = 0, n: Float = 0
        for i in 0..<d.count where d.labels[i] == k {
            for y in 9..<19 { for x in 9..<19 { total += d.features[i, 0, y, x] - d.features[i, 1, y, x]; n += 1 } }
        }
        return total / n
    }

    /// Mean brightness over the central 10×10 pixels of the images of class `k`.
    static func centreBrightness(_ k: Int) -> Float {
        let d = sample.dataset
        var total: Float = 0, n: Float = 0
        for i in 0..<d.count where d.labels[i] == k {
            for c in 0..<3 { for y in 11..<17 { for x in 11..<17 { total += d.features[i, c, y, x]; n += 1 } } }
        }
        return total / n
    }

    @Test("class colours show in the pixels: vasc and akiec redder than brown nv and bkl, mel darker than bkl")
    func pixelColours() {
        let redness = (0..<7).map(Self.centreRedness)
        for red in [Self.vasc, Self.akiec] {
            for brown in [Self.nv, Self.bkl] { #expect(redness[red] > redness[brown] + 0.05, "\(redness)") }
        }
        #expect(Self.centreBrightness(Self.mel) < Self.centreBrightness(Self.bkl))
        #expect(Self.centreBrightness(Self.df) > Self.centreBrightness(Self.nv))  // pale centre
    }
}
