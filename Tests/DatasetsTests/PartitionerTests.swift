import Testing
@testable import Datasets

@Suite("Partitioner")
struct PartitionerTests {
    /// 600 records, 6 balanced classes; feature 0 is the record's id.
    static let data = Dataset(name: "toy", features: Tensor(shape: [600, 1], scalars: (0..<600).map(Float.init)),
                              labels: (0..<600).map { $0 % 6 }, classNames: (0..<6).map(String.init))

    static func ids(_ d: Dataset) -> [Int] { d.features.scalars.map { Int($0) } }

    static let schemes: [PartitionScheme] = [.iid, .dirichlet(alpha: 0.3), .quantitySkew(sigma: 1.5)]

    @Test("every record goes to exactly one hospital, train or test, and labels follow their records",
          arguments: schemes)
    func disjointAndComplete(scheme: PartitionScheme) throws {
        let parts = try Partitioner.partition(Self.data, hospitals: 7, scheme: scheme, testFraction: 0.25, seed: 3)
        #expect(parts.count == 7)
        let all = parts.flatMap { Self.ids($0.train) + Self.ids($0.test) }
        #expect(all.count == 600)
        #expect(Set(all).count == 600)
        for p in parts {
            #expect(p.train.count >= Partitioner.minimumTrainRecords && p.test.count >= Partitioner.minimumTestRecords)
            for d in [p.train, p.test] { #expect(zip(Self.ids(d), d.labels).allSatisfy { $0 % 6 == $1 }) }
        }
    }

    @Test("the same seed gives the same partition; another seed a different one", arguments: schemes)
    func seeded(scheme: PartitionScheme) throws {
        let a = try Partitioner.partition(Self.data, hospitals: 5, scheme: scheme, testFraction: 0.2, seed: 11)
        let b = try Partitioner.partition(Self.data, hospitals: 5, scheme: scheme, testFraction: 0.2, seed: 11)
        let c = try Partitioner.partition(Self.data, hospitals: 5, scheme: scheme, testFraction: 0.2, seed: 12)
        #expect(a.map { Self.ids($0.train) } == b.map { Self.ids($0.train) })
        #expect(a.map { Self.ids($0.test) } == b.map { Self.ids($0.test) })
        #expect(a.map { Self.ids($0.train) } != c.map { Self.ids($0.train) })
    }

    /// Mean over hospitals of the share of the hospital's most common class.
    static func dominance(_ shares: [[Int]]) -> Double {
        shares.map { s in
            var counts = [Int](repeating: 0, count: 6)
            for i in s { counts[i % 6] += 1 }
            return Double(counts.max() ?? 0) / Double(s.count)
        }.reduce(0, +) / Double(shares.count)
    }

    @Test("Dirichlet with small alpha gives label-skewed hospitals, IID balanced ones")
    func dirichletSkew() throws {
        let iid = try Partitioner.assign(Self.data, hospitals: 6, scheme: .iid, seed: 5)
        let skewed = try Partitioner.assign(Self.data, hospitals: 6, scheme: .dirichlet(alpha: 0.1), seed: 5)
        let mild = try Partitioner.assign(Self.data, hospitals: 6, scheme: .dirichlet(alpha: 100), seed: 5)
        #expect(Self.dominance(iid) < 0.3)
        #expect(Self.dominance(mild) < 0.3)
        #expect(Self.dominance(skewed) > 0.6)
    }

    @Test("IID sizes differ by at most one; quantity skew makes them unequal")
    func sizes() throws {
        let iid = try Partitioner.assign(Self.data, hospitals: 7, scheme: .iid, seed: 1).map(\.count)
        #expect(iid.reduce(0, +) == 600 && (iid.max() ?? 0) - (iid.min() ?? 0) <= 1)
        let skew = try Partitioner.assign(Self.data, hospitals: 7, scheme: .quantitySkew(sigma: 2), seed: 1).map(\.count)
        #expect(skew.reduce(0, +) == 600)
        #expect((skew.max() ?? 0) > 3 * (skew.min() ?? 0))
        #expect(skew.allSatisfy { $0 >= Partitioner.minimumRecords })
    }

    @Test("extreme skew still leaves every hospital its minimum")
    func minimumHolds() throws {
        let tiny = Self.data.subset(Array(0..<40))
        let shares = try Partitioner.assign(tiny, hospitals: 13, scheme: .dirichlet(alpha: 0.01), seed: 9)
        #expect(shares.allSatisfy { $0.count >= Partitioner.minimumRecords })
        #expect(shares.map(\.count).reduce(0, +) == 40)
    }

    @Test("the built-in digits (1,797 records) refuse 1,000 hospitals cleanly, naming the most they can serve (599)")
    func digitsRefuseAThousandHospitals() throws {
        let digits = try DatasetSource.load("digits")
        let error = datasetError { try Partitioner.partition(digits, hospitals: 1_000, scheme: .iid, testFraction: 0.2, seed: 1) }
        #expect(error == .tooFewRecords(records: 1_797, hospitals: 1_000, minimumPerHospital: 3))
        #expect(error.map { "\($0)" }?.contains("use at most 599 hospitals") == true)
        #expect(try Partitioner.partition(digits, hospitals: 599, scheme: .iid, testFraction: 0.2, seed: 1).count == 599)
    }

    @Test("too little data, no hospitals or a bad test fraction are clear errors")
    func errors() {
        #expect(datasetError { try Partitioner.partition(Self.data.subset(Array(0..<8)), hospitals: 3, scheme: .iid,
                                                         testFraction: 0.2, seed: 0) }
                == .tooFewRecords(records: 8, hospitals: 3, minimumPerHospital: 3))
        #expect(datasetError { try Partitioner.partition(Self.data, hospitals: 0, scheme: .iid, testFraction: 0.2, seed: 0) }
                == .invalidOption(name: "hospitals", expected: "at least 1", found: "0"))
        for f in [0.0, 1.0, -0.1, .nan] {
            #expect(datasetError { try Partitioner.partition(Self.data, hospitals: 2, scheme: .iid, testFraction: f, seed: 0) }?
                    .description.contains("test fraction") == true)
        }
        #expect(datasetError { try Partitioner.assign(Self.data, hospitals: 2, scheme: .dirichlet(alpha: 0), seed: 0) } != nil)
    }
}
