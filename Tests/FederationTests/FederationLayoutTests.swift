import Datasets
import Federation
import Testing

@Suite("FederationLayout: shares drawn from the records as they are cut, the same as from the whole dataset")
struct FederationLayoutTests {
    @Test("lesions with a central hold-out: the hold-out and every share equal those cut from the generated dataset, bit for bit")
    func renderedEqualsLoaded() throws {
        let seed: UInt64 = 3
        let layout = try FederationLayout(dataset: "lesions:400", localHospitals: 5, partition: "dirichlet:0.5", testFraction: 0.25,
                                          centralHoldout: 0.1, featureClip: 4, model: nil, seed: seed, remoteFacts: nil)
        // The old path: generate the whole dataset, split off the hold-out, partition the rest.
        let whole = LesionGenerator(seed: BuiltinDataset.lesionsSeed).generate(count: 400)
        let (rest, holdout) = whole.split(testFraction: 0.1, seed: seed ^ 0xce17)
        let expectedTest = Standardizer.fit(holdout, clip: 4).apply(holdout)
        let expected = try HospitalShares.prepare(rest, hospitals: 5, scheme: .dirichlet(alpha: 0.5), testFraction: 0.25,
                                                  seed: seed, featureClip: 4)
        #expect(layout.centralTest?.features.scalars == expectedTest.features.scalars)
        #expect(layout.centralTest?.labels == expectedTest.labels)
        #expect(layout.hospitalRecords == rest.count && layout.facts.count == 400 && layout.facts.classes == 7)
        #expect(layout.shares.count == 5)
        for (got, want) in zip(layout.shares, expected) {
            #expect(got.train.features.scalars == want.train.features.scalars && got.train.labels == want.train.labels)
            #expect(got.test.features.scalars == want.test.features.scalars && got.test.labels == want.test.labels)
        }
        #expect(layout.modelKind == "tinycnn")
    }

    @Test("a hold-out that leaves too few records, and a dataset that cannot be opened, are refused naming the option")
    func refusals() {
        #expect(throws: FederationError.self) {
            try FederationLayout(dataset: "lesions:10", localHospitals: 5, partition: "iid", testFraction: 0.2, centralHoldout: 0.5,
                                 featureClip: nil, model: nil, seed: 1, remoteFacts: nil)
        }
        do {
            _ = try FederationLayout(dataset: "lesions:3", localHospitals: 1, partition: "iid", testFraction: 0.2, centralHoldout: nil,
                                     featureClip: nil, model: nil, seed: 1, remoteFacts: nil)
            Issue.record("lesions:3 was opened")
        } catch { #expect("\(error)".contains("--dataset lesions:3"), "\(error)") }
    }
}
