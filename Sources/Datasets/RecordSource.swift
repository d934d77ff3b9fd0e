/// Labelled records that can be drawn by index, without all of them being in memory at once: a loaded
/// ``Dataset`` (drawing copies the records), or the synthetic ``LesionSource`` (drawing renders them).
///
/// The partitioner needs only the labels to decide who holds what, so a federation of ten thousand
/// hospitals renders each hospital's share as it is cut and never holds the whole dataset beside the
/// shares (issue 19: memory bounded by what is held, not twice it).
///
/// Contract:
/// - `labels[i]` is the class of record `i`, in `0..<classNames.count`; `count == labels.count`.
/// - `records(indices)` is a ``Dataset`` named `name` holding records `indices`, in that order (an index
///   may repeat), each of shape `featureShape`; the same indices give the same values on every call.
public protocol RecordSource: Sendable {
    /// A short name for logs and the console.
    var name: String { get }
    /// The class index of every record.
    var labels: [Int] { get }
    /// The name of each class; class `k` is `classNames[k]`.
    var classNames: [String] { get }
    /// The shape of one record.
    var featureShape: [Int] { get }
    /// The name of each feature, when the source has them (see ``Dataset/featureNames``).
    var featureNames: [String]? { get }
    /// The records at `indices`, in that order.
    /// - Precondition: every index is in `0..<count`.
    func records(_ indices: [Int]) -> Dataset
}

extension RecordSource {
    /// Unnamed, unless the source says otherwise.
    public var featureNames: [String]? { nil }

    /// The number of records.
    public var count: Int { labels.count }

    /// A shuffled, class-stratified split of the indices into training and test records, fixed by
    /// `seed`: the indices ``Dataset/split(testFraction:seed:)`` keeps, without drawing any record.
    /// - Precondition: `testFraction` is in `0...1`.
    public func splitIndices(testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        precondition((0...1).contains(testFraction), "splitIndices: testFraction \(testFraction) is outside 0...1")
        var testCount = Int((Double(count) * testFraction).rounded())
        if testFraction > 0, testFraction < 1, count >= 2 { testCount = min(max(testCount, 1), count - 1) }
        return Dataset.stratifiedSplitIndices(labels: labels, classes: classNames.count, testCount: testCount, seed: seed)
    }
}

extension Dataset: RecordSource {
    /// The records at `indices` (a copy), as ``subset(_:)``.
    public func records(_ indices: [Int]) -> Dataset { subset(indices) }
}

/// The records of another source at `indices`, in that order, drawn only when asked for (the records
/// a central hold-out leaves to the hospitals).
///
/// Contract: record `i` of the selection is record `indices[i]` of `base`.
public struct RecordSelection: RecordSource {
    public let base: any RecordSource
    public let indices: [Int]
    public let labels: [Int]

    /// - Precondition: every index is in `0..<base.count`.
    public init(_ base: any RecordSource, indices: [Int]) {
        let all = base.labels
        self.base = base
        self.indices = indices
        labels = indices.map { all[$0] }
    }

    public var name: String { base.name }
    public var classNames: [String] { base.classNames }
    public var featureShape: [Int] { base.featureShape }
    public var featureNames: [String]? { base.featureNames }
    public func records(_ picked: [Int]) -> Dataset { base.records(picked.map { indices[$0] }) }
}
