import Testing
@testable import Datasets

@Suite("Dataset")
struct DatasetTests {
    /// 10 records of 2 features; class 0 has 6 records, class 1 has 4; feature 0 is the record index.
    static func sample() -> Dataset {
        let labels = [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]
        let scalars = (0..<10).flatMap { [Float($0), Float($0) * 10] }
        return Dataset(name: "sample", features: Tensor(shape: [10, 2], scalars: scalars),
                       labels: labels, classNames: ["a", "b"])
    }

    @Test("count, feature shape and class counts describe the records")
    func summary() {
        let d = Self.sample()
        #expect(d.count == 10)
        #expect(d.featureShape == [2])
        #expect(d.classCounts == [6, 4])
    }

    @Test("subset keeps the chosen records' features and labels together, in order")
    func subsetKeepsRecordsTogether() {
        let s = Self.sample().subset([7, 2, 0])
        #expect(s.features.scalars == [7, 70, 2, 20, 0, 0])
        #expect(s.labels == [1, 1, 0])
        #expect(s.classNames == ["a", "b"])
    }

    @Test("split is disjoint, complete, stratified and sized by the fraction")
    func splitIsStratified() {
        let d = Self.sample()
        let (train, test) = d.split(testFraction: 0.5, seed: 7)
        #expect(train.count == 5 && test.count == 5)
        #expect(test.classCounts == [3, 2])
        let ids = (train.features.scalars + test.features.scalars).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(Set(ids) == Set((0..<10).map(Float.init)))
        // Labels still match their records.
        for part in [train, test] {
            for i in 0..<part.count { #expect(part.labels[i] == d.labels[Int(part.features[i, 0])]) }
        }
    }

    @Test("split is reproducible with a seed and shuffles differently with another")
    func splitIsSeeded() {
        let d = Self.sample()
        let a = d.split(testFraction: 0.3, seed: 1), b = d.split(testFraction: 0.3, seed: 1)
        #expect(a.train.features == b.train.features && a.test.labels == b.test.labels)
        let orders = (2...6).map { d.split(testFraction: 0.3, seed: UInt64($0)).train.features.scalars }
        #expect(orders.contains { $0 != a.train.features.scalars })
    }

    @Test("a small positive fraction still gives one test record, and never all of them")
    func splitKeepsBothSides() {
        let d = Self.sample()
        #expect(d.split(testFraction: 0.01, seed: 0).test.count == 1)
        #expect(d.split(testFraction: 0.99, seed: 0).train.count == 1)
        #expect(d.split(testFraction: 0, seed: 0).test.count == 0)
    }

    @Test("apportion sums to the total, follows the weights and respects capacities")
    func apportion() {
        #expect(Dataset.apportion(10, weights: [1, 1, 2], capacities: [10, 10, 10]) == [3, 2, 5])
        #expect(Dataset.apportion(5, weights: [1, 0], capacities: [3, 5]) == [3, 2])
    }
}
