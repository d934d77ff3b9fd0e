import Testing
@testable import Datasets

@Suite("BuiltinDataset")
struct BuiltinDatasetTests {
    @Test("wdbc: 569 records of 30 features, 212 malignant (0) and 357 benign (1)")
    func wdbc() throws {
        let d = try BuiltinDataset.wdbc()
        #expect(d.count == 569)
        #expect(d.featureShape == [30])
        #expect(d.classNames == ["malignant", "benign"])
        #expect(d.classCounts == [212, 357])
        #expect(d.features[0, 0] == 17.99)  // first record's mean radius, as in the file
        #expect(d.featureNames?.count == 30 && Set(d.featureNames ?? []).count == 30)
        #expect(d.featureNames?[0] == "mean radius" && d.featureNames?[3] == "mean area" && d.featureNames?[10] == "radius error"
                    && d.featureNames?[29] == "worst fractal dimension")
        #expect(d.features[0, 3] == 1001 && d.features[0, 23] == 2019)  // mean area and worst area of the first record
    }

    @Test("digits: 1,797 records of 64 pixels scaled into [0, 1], classes 0...9")
    func digits() throws {
        let d = try BuiltinDataset.digits()
        #expect(d.count == 1797)
        #expect(d.featureShape == [64])
        #expect(d.classNames == (0...9).map(String.init))
        #expect(d.classCounts.reduce(0, +) == 1797 && d.classCounts.allSatisfy { $0 > 170 })
        let pixels = d.features.scalars
        #expect(pixels.allSatisfy { (0...1).contains($0) })
        #expect(pixels.contains(1))
        #expect(d.features[0, 2] == 5.0 / 16)  // the file's first record starts 0,0,5
    }

    @Test("named finds each built-in dataset and rejects unknown names with the list")
    func named() throws {
        #expect(try BuiltinDataset.named("WDBC").count == 569)
        #expect(datasetError { try BuiltinDataset.named("mnist") }
                == .unknownDataset(name: "mnist", available: ["wdbc", "digits", "lesions"]))
    }

    @Test("the built-in lesions are 10,015 images (as many as HAM10000) of shape [3, 28, 28] from seed 2018")
    func lesions() throws {
        let d = try BuiltinDataset.named("lesions")
        #expect(d.count == 10015)
        #expect(d.featureShape == [3, 28, 28])
        #expect(d.labels.prefix(50) == LesionGenerator(seed: 2018).generate(count: 50).labels[...])
    }
}
