import Foundation

/// One hospital's share of a federation's data: its own training and test records.
///
/// Contract: the two sets are disjoint and come from the same hospital's records; `train` has at least
/// ``Partitioner/minimumTrainRecords`` and `test` at least ``Partitioner/minimumTestRecords``.
public struct HospitalData: Sendable {
    public let train: Dataset
    public let test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }

    /// All the hospital's records.
    public var count: Int { train.count + test.count }
}

/// Deals a dataset out to simulated hospitals under a ``PartitionScheme``, then splits each hospital's
/// records into its own training and test sets.
///
/// Contract:
/// - Every record goes to exactly one hospital and, there, to exactly one of train or test.
/// - Every hospital gets at least ``minimumTrainRecords`` + ``minimumTestRecords`` records; under
///   Dirichlet skew a hospital left short takes records from the largest hospital, one at a time.
///   When the data is too small for that, ``DatasetError/tooFewRecords(records:hospitals:minimumPerHospital:)``.
/// - The result is a function of the data, the arguments and `seed` alone (reproducible runs).
/// - Each hospital's test set is a class-stratified `testFraction` of its records (at least
///   ``minimumTestRecords``, leaving at least ``minimumTrainRecords``).
public enum Partitioner {
    /// The fewest training records a hospital is given.
    public static let minimumTrainRecords = 2
    /// The fewest test records a hospital is given.
    public static let minimumTestRecords = 1
    /// The fewest records a hospital is given.
    public static var minimumRecords: Int { minimumTrainRecords + minimumTestRecords }

    /// The hospitals' data, in hospital order.
    /// - Throws: ``DatasetError/invalidOption(name:expected:found:)`` for fewer than one hospital, a test
    ///   fraction outside (0, 1) or a scheme parameter out of range, and
    ///   ``DatasetError/tooFewRecords(records:hospitals:minimumPerHospital:)``.
    public static func partition(_ d: some RecordSource, hospitals: Int, scheme: PartitionScheme, testFraction: Double,
                                 seed: UInt64) throws -> [HospitalData] {
        try shareIndices(d, hospitals: hospitals, scheme: scheme, testFraction: testFraction, seed: seed)
            .enumerated().map { hospital, share in
                let (train, test) = draw(share, hospital: hospital, from: d)
                return HospitalData(train: train, test: test)
            }
    }

    /// Hospital `hospital`'s records drawn from `d` at the indices ``shareIndices(_:hospitals:scheme:testFraction:seed:)`` gave it.
    static func draw(_ share: (train: [Int], test: [Int]), hospital: Int, from d: some RecordSource) -> (train: Dataset, test: Dataset) {
        let name = "\(d.name)/hospital-\(hospital + 1)"
        return (d.records(share.train).renamed(name + "/train"), d.records(share.test).renamed(name + "/test"))
    }

    /// The indices into `d` of each hospital's training and test records, in hospital order; no
    /// record is drawn. Record `train[j]` is the `j`-th training record of that hospital.
    /// - Throws: as ``partition(_:hospitals:scheme:testFraction:seed:)``.
    public static func shareIndices(_ d: some RecordSource, hospitals: Int, scheme: PartitionScheme, testFraction: Double,
                                    seed: UInt64) throws -> [(train: [Int], test: [Int])] {
        guard testFraction > 0, testFraction < 1 else {
            throw DatasetError.invalidOption(name: "test fraction", expected: "a number between 0 and 1, exclusive",
                                             found: "\(testFraction)")
        }
        let labels = d.labels, classes = d.classNames.count
        return try assign(d, hospitals: hospitals, scheme: scheme, seed: seed).enumerated().map { hospital, indices in
            let records = indices.count
            let testCount = min(max(Int((Double(records) * testFraction).rounded()), minimumTestRecords),
                                records - minimumTrainRecords)
            let (train, test) = Dataset.stratifiedSplitIndices(labels: indices.map { labels[$0] }, classes: classes,
                                                               testCount: testCount,
                                                               seed: (seed ^ 0x5EED_0F_7E57) &+ UInt64(hospital))
            return (train.map { indices[$0] }, test.map { indices[$0] })
        }
    }

    /// The record indices of each hospital (before the train/test split), each list shuffled.
    /// - Throws: as ``partition(_:hospitals:scheme:testFraction:seed:)``.
    public static func assign(_ d: some RecordSource, hospitals: Int, scheme: PartitionScheme, seed: UInt64) throws -> [[Int]] {
        guard hospitals >= 1 else {
            throw DatasetError.invalidOption(name: "hospitals", expected: "at least 1", found: "\(hospitals)")
        }
        let count = d.count
        guard count >= hospitals * minimumRecords else {
            throw DatasetError.tooFewRecords(records: count, hospitals: hospitals, minimumPerHospital: minimumRecords)
        }
        var rng = SeededGenerator(seed: seed)
        var shares: [[Int]]
        switch scheme {
        case .iid:
            shares = cut(Array(0..<count).shuffled(using: &rng),
                         sizes: Dataset.apportion(count, weights: Array(repeating: 1, count: hospitals),
                                                  capacities: Array(repeating: count, count: hospitals)))
        case .quantitySkew(let sigma):
            guard sigma >= 0, sigma.isFinite else {
                throw DatasetError.invalidOption(name: "quantity skew sigma", expected: "a finite number ≥ 0",
                                                 found: "\(sigma)")
            }
            let weights = (0..<hospitals).map { _ in exp(sigma * rng.nextNormal()) }
            let spare = count - hospitals * minimumRecords
            let extra = Dataset.apportion(spare, weights: weights, capacities: Array(repeating: spare, count: hospitals))
            shares = cut(Array(0..<count).shuffled(using: &rng), sizes: extra.map { $0 + minimumRecords })
        case .dirichlet(let alpha):
            guard alpha > 0, alpha.isFinite else {
                throw DatasetError.invalidOption(name: "Dirichlet alpha", expected: "a finite number > 0",
                                                 found: "\(alpha)")
            }
            shares = dirichletShares(d, hospitals: hospitals, alpha: alpha, rng: &rng)
        }
        for h in shares.indices { shares[h].shuffle(using: &rng) }
        return shares
    }

    /// Label-skewed shares: each class split by a Dirichlet(alpha) draw, then short hospitals topped up.
    static func dirichletShares(_ d: some RecordSource, hospitals: Int, alpha: Double,
                                rng: inout SeededGenerator) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: d.classNames.count)
        for (index, label) in d.labels.enumerated() { byClass[label].append(index) }
        var shares = [[Int]](repeating: [], count: hospitals)
        for members in byClass where !members.isEmpty {
            var proportions = (0..<hospitals).map { _ in rng.nextGamma(shape: alpha) }
            if !(proportions.reduce(0, +) > 0) {  // every draw underflowed: give the class to one hospital
                proportions = Array(repeating: 0, count: hospitals)
                proportions[Int(rng.next() % UInt64(hospitals))] = 1
            }
            let sizes = Dataset.apportion(members.count, weights: proportions,
                                          capacities: Array(repeating: members.count, count: hospitals))
            let parts = cut(members.shuffled(using: &rng), sizes: sizes)
            for h in 0..<hospitals { shares[h] += parts[h] }
        }
        // Top up hospitals below the minimum from the largest one (it has spare: n ≥ hospitals × minimum).
        for h in 0..<hospitals {
            while shares[h].count < minimumRecords {
                var donor = 0
                for k in 1..<hospitals where shares[k].count > shares[donor].count { donor = k }
                shares[h].append(shares[donor].removeLast())
            }
        }
        return shares
    }

    /// `items` cut into consecutive runs of the given sizes.
    static func cut(_ items: [Int], sizes: [Int]) -> [[Int]] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return Array(items[start..<start + size])
        }
    }
}

extension Dataset {
    /// The same records under another name.
    func renamed(_ name: String) -> Dataset {
        Dataset(name: name, features: features, labels: labels, classNames: classNames)
    }
}
