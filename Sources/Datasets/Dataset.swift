/// A labelled set of records for classification: one feature tensor and one class index per record.
///
/// Contract:
/// - `features` has shape `[count] + featureShape` (Float32, C order); record `i` is item `i`.
/// - `labels[i]` is the class of record `i`, in `0..<classNames.count`.
/// - It is a value type; `subset` and `split` copy the records they keep.
/// The loaders (``CSVLoader``, ``NPYLoader``, ``IDXLoader``) check a user's data before it becomes a
/// `Dataset`; building one by hand with inconsistent arguments is a programmer error and traps.
public struct Dataset: Sendable {
    /// A short name for logs and the console (`"wdbc"`, the file name of a user's CSV).
    public let name: String
    /// The records, shape `[count] + featureShape`.
    public let features: Tensor
    /// The class index of each record, in `0..<classNames.count`.
    public let labels: [Int]
    /// The name of each class; class `k` is `classNames[k]`.
    public let classNames: [String]
    /// The name of each feature, in record order, when the source has them (a CSV header, a built-in
    /// table); nil for images and unnamed columns.
    public let featureNames: [String]?

    /// A dataset of `labels.count` records.
    /// - Precondition: `features` has rank ≥ 1 and `features.shape[0] == labels.count`; every label is
    ///   in `0..<classNames.count`; `featureNames`, if given, has one name per feature of a record.
    public init(name: String, features: Tensor, labels: [Int], classNames: [String], featureNames: [String]? = nil) {
        precondition(features.rank >= 1 && features.shape[0] == labels.count,
                     "Dataset \(name): features of shape \(features.shape) for \(labels.count) labels")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classNames.count },
                     "Dataset \(name): a label is outside 0..<\(classNames.count)")
        self.name = name
        self.features = features
        self.labels = labels
        self.classNames = classNames
        precondition(featureNames == nil || featureNames!.count == features.shape.dropFirst().reduce(1, *),
                     "Dataset \(name): \(featureNames?.count ?? 0) feature names for records of shape \(features.shape.dropFirst())")
        self.featureNames = featureNames
    }

    /// The shape of one record (the feature tensor's shape without its first dimension).
    public var featureShape: [Int] { Array(features.shape.dropFirst()) }

    /// The number of records.
    public var count: Int { labels.count }

    /// The number of records of each class, indexed by class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The records at `indices`, in that order (an index may repeat).
    /// - Precondition: every index is in `0..<count`.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(name: name, features: features.gathering(indices),
                labels: indices.map { labels[$0] }, classNames: classNames, featureNames: featureNames)
    }

    /// The records of `parts`, one after another (the name, classes and feature names of the first).
    /// - Precondition: at least one part; all parts share the feature shape and classes.
    public static func concatenating(_ parts: [Dataset]) -> Dataset {
        precondition(!parts.isEmpty, "Dataset.concatenating: no parts")
        precondition(parts.allSatisfy { $0.featureShape == parts[0].featureShape && $0.classNames == parts[0].classNames },
                     "Dataset.concatenating: parts differ in feature shape or classes")
        return Dataset(name: parts[0].name, features: Tensor.concatenating(parts.map(\.features)),
                       labels: parts.flatMap(\.labels), classNames: parts[0].classNames, featureNames: parts[0].featureNames)
    }

    /// A shuffled, class-stratified split into a training and a test set, fixed by `seed`.
    ///
    /// The test set has `round(count × testFraction)` records, but at least one and at most
    /// `count - 1` when `0 < testFraction < 1` and there are two records or more. Each class gives
    /// the test set its share of that number (largest remainders), so class proportions are kept.
    /// - Precondition: `testFraction` is in `0...1`.
    public func split(testFraction: Double, seed: UInt64) -> (train: Dataset, test: Dataset) {
        let (train, test) = splitIndices(testFraction: testFraction, seed: seed)
        return (subset(train), subset(test))
    }

    /// Indices of a class-stratified split with exactly `testCount` test records, both parts shuffled.
    func stratifiedSplitIndices(testCount: Int, seed: UInt64) -> (train: [Int], test: [Int]) {
        Dataset.stratifiedSplitIndices(labels: labels, classes: classNames.count, testCount: testCount, seed: seed)
    }

    /// The same split from the labels alone (so a ``RecordSource`` is split without drawing its records).
    static func stratifiedSplitIndices(labels: [Int], classes: Int, testCount: Int,
                                       seed: UInt64) -> (train: [Int], test: [Int]) {
        let count = labels.count
        var rng = SeededGenerator(seed: seed)
        var byClass = [[Int]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() { byClass[label].append(index) }
        let quotas = Dataset.apportion(testCount, weights: byClass.map { Double($0.count) },
                                       capacities: byClass.map(\.count))
        var train: [Int] = [], test: [Int] = []
        train.reserveCapacity(count - testCount)
        test.reserveCapacity(testCount)
        for (members, quota) in zip(byClass, quotas) {
            var shuffled = members
            shuffled.shuffle(using: &rng)
            test += shuffled.prefix(quota)
            train += shuffled.dropFirst(quota)
        }
        train.shuffle(using: &rng)
        test.shuffle(using: &rng)
        return (train, test)
    }

    /// Splits `total` into integer parts proportional to `weights` (largest remainders, ties to the
    /// lower index), never giving a part more than its capacity.
    /// - Precondition: `total` ≤ the sum of the capacities.
    static func apportion(_ total: Int, weights: [Double], capacities: [Int]) -> [Int] {
        let weightSum = weights.reduce(0, +)
        var parts = [Int](repeating: 0, count: weights.count)
        guard total > 0, weightSum > 0 else { return parts }
        var remainders: [(Double, Int)] = []
        for (i, weight) in weights.enumerated() {
            let exact = Double(total) * weight / weightSum
            parts[i] = min(Int(exact.rounded(.down)), capacities[i])
            remainders.append((exact - Double(parts[i]), i))
        }
        remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var left = total - parts.reduce(0, +)
        while left > 0 {
            var gave = false
            for (_, i) in remainders where left > 0 && parts[i] < capacities[i] {
                parts[i] += 1
                left -= 1
                gave = true
            }
            precondition(gave, "Dataset.apportion: \(total) exceeds the capacities \(capacities)")
        }
        return parts
    }
}
