import Datasets
import Foundation
import TensorCore

/// What a run needs to know about its data to build the model: from the records when this process
/// holds some (local hospitals, a central hold-out), else from a remote hospital's Hello.
public struct DataFacts: Sendable, Equatable {
    public var name: String
    public var count: Int
    public var featureShape: [Int]
    public var classes: Int
    /// The classes' names, when known (a remote hospital's Hello gives only their count).
    public var classNames: [String]?

    public init(name: String, count: Int, featureShape: [Int], classes: Int, classNames: [String]? = nil) {
        self.name = name
        self.count = count
        self.featureShape = featureShape
        self.classes = classes
        self.classNames = classNames
    }
}

/// A federation's records as its local hospitals hold them: the central hold-out taken out first
/// (standardised with its own statistics), the rest partitioned among the local hospitals, each share
/// standardised with that hospital's own statistics (``HospitalShares``), and the model the data
/// trains by default.
///
/// Contract: deterministic in `seed`, so the audit of a finished run rebuilds exactly who held which
/// record; every refusal is ``FederationError/configuration(_:)`` naming the option at fault
/// (`--dataset`, `--central-holdout`, `--hospitals`, `--partition`, `--model`).
public struct FederationLayout: Sendable {
    /// The number of records left for the hospitals after the hold-out (nil when only remote hospitals
    /// hold data).
    public let hospitalRecords: Int?
    public let facts: DataFacts
    public let centralTest: Dataset?
    public let scheme: PartitionScheme
    /// Each local hospital's standardised training and test records, in hospital order.
    public let shares: [HospitalData]
    public let modelKind: String
    /// The bound every standardised feature is clipped to (`--feature-clip`), if any.
    public let featureClip: Float?
    /// The features' names, when this process loaded data that names them.
    public let featureNames: [String]?

    /// The records are opened as a ``RecordSource`` and each hospital's share drawn as it is cut, so a
    /// synthetic dataset is never held whole beside the shares (peak memory ≈ the shares themselves).
    /// - Parameters:
    ///   - dataset: a ``DatasetSource`` spec; opened when there are local hospitals, a hold-out, or no remote facts.
    ///   - remoteFacts: a remote hospital's description of its data, used when this process loads none.
    public init(dataset: String, localHospitals: Int, partition: String, testFraction: Double, centralHoldout: Double?,
                featureClip: Float?, model: String?, seed: UInt64, remoteFacts: DataFacts?) throws(FederationError) {
        var data: (any RecordSource)?
        if localHospitals > 0 || centralHoldout != nil || remoteFacts == nil {
            do { data = try DatasetSource.open(dataset) } catch { throw .configuration("--dataset \(dataset): \(error)") }
        }
        guard let facts = data.map({ DataFacts(name: $0.name, count: $0.count, featureShape: $0.featureShape, classes: $0.classNames.count,
                                               classNames: $0.classNames) })
            ?? remoteFacts else { throw .configuration("no data: give --dataset or a remote --hospital") }
        self.facts = facts
        self.featureClip = featureClip
        featureNames = data?.featureNames
        var centralTest: Dataset?
        if let fraction = centralHoldout, let whole = data {
            let (rest, holdout) = whole.splitIndices(testFraction: fraction, seed: seed ^ 0xce17)
            guard holdout.count >= 1, rest.count >= localHospitals * 2 else {
                throw .configuration("--central-holdout \(fraction) leaves too few records (\(holdout.count) held out, \(rest.count) for the hospitals)")
            }
            let heldOut = whole.records(holdout)
            centralTest = Standardizer.fit(heldOut, clip: featureClip).apply(heldOut)
            data = RecordSelection(whole, indices: rest)
        }
        self.centralTest = centralTest
        hospitalRecords = data?.count
        do { scheme = try PartitionScheme(parsing: partition) } catch { throw .configuration("--partition: \(error)") }
        var shares: [HospitalData] = []
        if localHospitals > 0, let data {
            // Each hospital standardises its own records with its own statistics (nothing leaves).
            do {
                shares = try HospitalShares.prepare(data, hospitals: localHospitals, scheme: scheme, testFraction: testFraction,
                                                    seed: seed, featureClip: featureClip)
            } catch { throw .configuration("--hospitals \(localHospitals) on \(data.name): \(error)") }
        }
        self.shares = shares
        modelKind = model ?? DatasetSource.defaultModel(name: facts.name, featureShape: facts.featureShape)
    }

    /// The run's initial model (seeded).
    public func initialModel(seed: UInt64) throws(FederationError) -> Sequential {
        do {
            return try ModelZoo.make(modelKind, inputShape: facts.featureShape, classes: facts.classes, seed: seed)
        } catch { throw .configuration("--model \(modelKind): \(error)") }
    }
}
