import Testing
@testable import Datasets

@Suite("Standardizer")
struct StandardizerTests {
    static func data(_ rows: [[Float]]) -> Dataset {
        Dataset(name: "d", features: Tensor(shape: [rows.count, rows[0].count], scalars: rows.flatMap { $0 }),
                labels: Array(repeating: 0, count: rows.count), classNames: ["only"])
    }

    @Test("fitted on train, train features get mean 0 and std 1")
    func trainIsStandardised() {
        let train = Self.data([[1, 10], [3, 20], [5, 60]])
        let s = Standardizer.fit(train)
        #expect(s.mean == [3, 30])
        let z = s.apply(train).features
        for j in 0..<2 {
            let column = (0..<3).map { z[$0, j] }
            #expect(abs(column.reduce(0, +) / 3) < 1e-6)
            #expect(abs(column.map { $0 * $0 }.reduce(0, +) / 3 - 1) < 1e-5)
        }
    }

    @Test("applied to a dataset the caller keeps, the caller's records are untouched; handed over, the result is the same")
    func inPlaceOnlyWhenHandedOver() {
        let kept = Self.data([[1, 10], [3, 20], [5, 60]])
        let s = Standardizer.fit(kept)
        let copied = s.apply(kept)
        #expect(kept.features.scalars == [1, 10, 3, 20, 5, 60])
        let handed = Self.data([[1, 10], [3, 20], [5, 60]])
        let inPlace = s.apply(consume handed)
        #expect(inPlace.features.scalars == copied.features.scalars && inPlace.name == "d" && inPlace.labels == [0, 0, 0])
    }

    @Test("test data is transformed with the train statistics, so its mean is not forced to 0")
    func testUsesTrainStatistics() {
        let s = Standardizer.fit(Self.data([[0], [2]]))  // mean 1, std 1
        let test = s.apply(Self.data([[5], [7]]))
        #expect(test.features.scalars == [4, 6])
    }

    @Test("a constant feature maps to 0, never NaN, and the std floor is 1")
    func constantFeature() {
        let train = Self.data([[4, 1], [4, 2], [4, 3]])
        let s = Standardizer.fit(train)
        #expect(s.std[0] == 1)
        let out = s.apply(Self.data([[4, 2], [5, 2]])).features.scalars
        #expect(!out.contains { !$0.isFinite })
        #expect(out[0] == 0 && out[2] == 1)
    }

    @Test("apply keeps labels, class names and the feature shape")
    func keepsEverythingElse() throws {
        let d = try BuiltinDataset.digits().subset(Array(0..<50))
        let z = Standardizer.fit(d).apply(d)
        #expect(z.labels == d.labels && z.classNames == d.classNames && z.featureShape == [64])
    }

    @Test("with a clip, a feature rare in training lands at ±clip, values within it are unchanged")
    func clipWinsorises() {
        // Feature 0 is lit in 1 of 100 training records: std ≈ 0.0995, so a test record lighting it is ~10 sd out.
        let rows = (0..<100).map { i -> [Float] in [i == 0 ? 1 : 0, Float(i % 2)] }
        let train = Self.data(rows)
        let plain = Standardizer.fit(train).apply(Self.data([[1, 1], [0, 0]])).features.scalars
        #expect(plain[0] > 9.9)
        let s = Standardizer.fit(train, clip: 3)
        #expect(s.clip == 3 && s.mean == Standardizer.fit(train).mean && s.std == Standardizer.fit(train).std)
        let z = s.apply(Self.data([[1, 1], [0, 0]])).features.scalars
        #expect(z[0] == 3)                         // clamped
        #expect(z[1] == plain[1] && z[3] == plain[3])   // the ±1 feature is untouched
        #expect(z[2] == plain[2] && abs(z[2]) < 3)
        #expect(s.apply(Self.data([[-40, 0]])).features.scalars[0] == -3)
        #expect(s.apply(train).features.scalars.allSatisfy { abs($0) <= 3 })
    }

    @Test("a clip must be positive and finite")
    func clipValidity() {
        #expect(Standardizer.isValidClip(5) && Standardizer.isValidClip(0.1))
        #expect(!Standardizer.isValidClip(0) && !Standardizer.isValidClip(-1) && !Standardizer.isValidClip(.infinity)
                && !Standardizer.isValidClip(.nan))
    }
}
