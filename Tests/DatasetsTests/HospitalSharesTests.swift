import Datasets
import Testing

@Suite("HospitalShares and DatasetSource: one way to name data and prepare hospitals' records")
struct HospitalSharesTests {
    @Test("share i is exactly hospital i of prepare; each is standardised with its own training statistics")
    func shareMatchesPrepare() throws {
        let data = try BuiltinDataset.named("wdbc")
        let all = try HospitalShares.prepare(data, hospitals: 3, scheme: .iid, testFraction: 0.2, seed: 4)
        #expect(all.count == 3)
        for i in 0..<3 {
            let one = try HospitalShares.share(i, of: data, hospitals: 3, scheme: .iid, testFraction: 0.2, seed: 4)
            #expect(one.train.features.scalars == all[i].train.features.scalars && one.test.labels == all[i].test.labels)
            // Standardised on its own records: every feature's training mean is 0.
            let width = one.train.features.count / one.train.count
            let scalars = one.train.features.scalars
            for f in 0..<width {
                let mean = stride(from: f, to: scalars.count, by: width).reduce(0.0) { $0 + Double(scalars[$1]) } / Double(one.train.count)
                #expect(abs(mean) < 1e-4, "hospital \(i) feature \(f): mean \(mean)")
            }
        }
        let clipped = try HospitalShares.prepare(data, hospitals: 3, scheme: .iid, testFraction: 0.2, seed: 4, featureClip: 1)
        #expect(clipped.allSatisfy { $0.train.features.scalars.allSatisfy { abs($0) <= 1 } })
    }

    @Test("a spec that names no source is refused with the forms it could take")
    func unknownSpec() {
        for spec in ["nosuch", "parquet:x.parquet", "lesions:5"] {
            do {
                _ = try DatasetSource.load(spec)
                Issue.record("\(spec) was loaded")
            } catch {
                #expect("\(error)".contains(spec), "\(error)")
            }
        }
        #expect(DatasetSource.defaultModel(name: "lesions", featureShape: [1, 28, 28]) == "tinycnn")
        #expect(DatasetSource.defaultModel(name: "x", featureShape: [1, 8, 8]) == "smallcnn")
        #expect(DatasetSource.defaultModel(name: "wdbc", featureShape: [30]) == "mlp")
    }
}
