import Datasets
import Foundation
import TensorCore

/// A run's records as its local hospitals hold them: the central hold-out taken out first (standardised
/// with its own statistics), the rest partitioned among the local hospitals, each share standardised
/// with that hospital's own statistics (and clamped to ±`--feature-clip` sd when given). Deterministic in the plan's seed, so the audit of a finished
/// run (`fedtop audit --run DIR`) rebuilds exactly who held which record.
struct FederationData {
    /// The whole dataset before the hold-out (nil when only remote hospitals hold data).
    let whole: Dataset?
    /// The records left for the hospitals after the hold-out.
    let data: Dataset?
    let facts: DataFacts
    let centralTest: Dataset?
    let scheme: PartitionScheme
    /// Each local hospital's standardised training and test records, in hospital order.
    let shares: [HospitalData]
    let modelKind: String

    init(plan: RunPlan, remoteFacts: DataFacts?) throws {
        var data: Dataset?
        if plan.hospitals > 0 || plan.centralHoldout != nil || remoteFacts == nil {
            do { data = try DatasetSource.load(plan.dataset) } catch { throw UsageError("--dataset \(plan.dataset): \(error)") }
        }
        whole = data
        guard let facts = data.map({ DataFacts(name: $0.name, count: $0.count, featureShape: $0.featureShape, classes: $0.classNames.count) })
            ?? remoteFacts else { throw UsageError("no data: give --dataset or a remote --hospital") }
        self.facts = facts
        var centralTest: Dataset?
        if let fraction = plan.centralHoldout, let whole = data {
            let (rest, holdout) = whole.split(testFraction: fraction, seed: plan.seed ^ 0xce17)
            guard holdout.count >= 1, rest.count >= plan.hospitals * 2 else {
                throw UsageError("--central-holdout \(fraction) leaves too few records (\(holdout.count) held out, \(rest.count) for the hospitals)")
            }
            data = rest
            centralTest = Standardizer.fit(holdout, clip: plan.featureClip).apply(holdout)
        }
        self.centralTest = centralTest
        self.data = data
        do { scheme = try PartitionScheme(parsing: plan.partition) } catch { throw UsageError("--partition: \(error)") }
        var shares: [HospitalData] = []
        if plan.hospitals > 0, let data {
            // Each hospital standardises its own records with its own statistics (nothing leaves).
            do {
                shares = try HospitalShares.prepare(data, hospitals: plan.hospitals, scheme: scheme, testFraction: plan.testFraction,
                                                    seed: plan.seed, featureClip: plan.featureClip)
            } catch { throw UsageError("--hospitals \(plan.hospitals) on \(data.name): \(error)") }
        }
        self.shares = shares
        modelKind = plan.model ?? DatasetSource.defaultModel(name: facts.name, featureShape: facts.featureShape)
    }

    /// The run's initial model (seeded by the plan).
    func initialModel(_ plan: RunPlan) throws -> Sequential {
        do {
            return try ModelZoo.make(modelKind, inputShape: facts.featureShape, classes: facts.classes, seed: plan.seed)
        } catch { throw UsageError("--model \(modelKind): \(error)") }
    }
}
