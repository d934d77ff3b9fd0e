import Datasets
import Testing

@Suite("RecordSource: records drawn by index, never the whole dataset, exactly as the loaded dataset gives them")
struct RecordSourceTests {
    static let whole = LesionGenerator(seed: BuiltinDataset.lesionsSeed).generate(count: 300)
    static let source = LesionSource(seed: BuiltinDataset.lesionsSeed, count: 300)

    @Test("a lesion source's labels and records equal the generated dataset's, bit for bit, in any order")
    func lesionSourceMatchesGenerated() {
        #expect(Self.source.labels == Self.whole.labels)
        #expect(Self.source.count == 300 && Self.source.featureShape == Self.whole.featureShape)
        let picked = [299, 0, 17, 17, 150]
        let drawn = Self.source.records(picked)
        #expect(drawn.features.scalars == Self.whole.subset(picked).features.scalars)
        #expect(drawn.labels == picked.map { Self.whole.labels[$0] })
        #expect(Self.source.records([]).count == 0)
    }

    @Test("every hospital's share from the source equals its share from the loaded dataset, bit for bit",
          arguments: [PartitionScheme.iid, .dirichlet(alpha: 0.3), .quantitySkew(sigma: 1)])
    func sharesMatch(scheme: PartitionScheme) throws {
        let fromWhole = try HospitalShares.prepare(Self.whole, hospitals: 7, scheme: scheme, testFraction: 0.2, seed: 5)
        let fromSource = try HospitalShares.prepare(Self.source, hospitals: 7, scheme: scheme, testFraction: 0.2, seed: 5)
        #expect(fromWhole.count == fromSource.count)
        for (a, b) in zip(fromWhole, fromSource) {
            #expect(a.train.features.scalars == b.train.features.scalars && a.train.labels == b.train.labels)
            #expect(a.test.features.scalars == b.test.features.scalars && a.test.labels == b.test.labels)
            #expect(a.train.name == b.train.name)
        }
        let third = try HospitalShares.share(2, of: Self.source, hospitals: 7, scheme: scheme, testFraction: 0.2, seed: 5)
        #expect(third.train.features.scalars == fromWhole[2].train.features.scalars)
    }

    @Test("a selection draws its base's records at its indices; its split equals the dataset's split")
    func selection() {
        let (rest, held) = Self.source.splitIndices(testFraction: 0.1, seed: 9)
        let (wholeRest, wholeHeld) = Self.whole.split(testFraction: 0.1, seed: 9)
        #expect(held.count == 30 && rest.count == 270)
        #expect(Self.source.records(held).features.scalars == wholeHeld.features.scalars)
        let selection = RecordSelection(Self.source, indices: rest)
        #expect(selection.labels == wholeRest.labels)
        #expect(selection.records([3, 1]).features.scalars == wholeRest.subset([3, 1]).features.scalars)
    }

    @Test("DatasetSource.open renders lesions on demand and loads every other form")
    func openForms() throws {
        #expect(try DatasetSource.open("lesions:300") is LesionSource)
        #expect(try DatasetSource.open("lesions").count == BuiltinDataset.lesionsCount)
        #expect(try DatasetSource.open("wdbc") is Dataset)
        for spec in ["lesions:5", "lesions:x", "nosuch"] {
            #expect(throws: DatasetError.self) { try DatasetSource.open(spec) }
        }
    }
}
