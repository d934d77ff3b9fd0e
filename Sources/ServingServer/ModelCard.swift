import Foundation
import Privacy
import Serving
import ServingAPI

/// What `GET /v1/model` says beyond the model itself: the privacy each hospital's records were
/// trained under, read once at start from the run folder's ledgers.
///
/// Contract: a hospital's ε is its ledger's composed spend at the ledger's δ. The ledgers are read
/// without their seals (the seals stay with the run's operator, outside the run folder), so each
/// guarantee says `verified: false`: the format is checked, the MAC chain is not. A run whose ledgers
/// are missing or unreadable reports no hospitals rather than a made-up figure.
public struct ModelCard: Sendable {
    public struct Hospital: Sendable, Equatable {
        public var name: String
        public var epsilon: Double
        public var delta: Double
    }

    public var hospitals: [Hospital]
    /// The federation's client-level ε (DP-FedAvg), when the run had a federation ledger.
    public var federation: Hospital?

    public init(hospitals: [Hospital], federation: Hospital?) {
        self.hospitals = hospitals
        self.federation = federation
    }

    /// The hospitals' spends from `<runDirectory>/ledgers/*.ledger`.
    public static func read(runDirectory: String) -> ModelCard {
        let folder = runDirectory + "/ledgers"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".ledger") }.sorted()
        var hospitals: [Hospital] = [], federation: Hospital?
        for name in names {
            guard let contents = try? PrivacyLedger.read(path: folder + "/" + name, seal: nil), let delta = contents.budget?.delta else { continue }
            let entry = Hospital(name: String(name.dropLast(".ledger".count)), epsilon: contents.accountant.epsilon(delta: delta).epsilon, delta: delta)
            if entry.name == "federation" { federation = entry } else { hospitals.append(entry) }
        }
        return ModelCard(hospitals: hospitals, federation: federation)
    }

    /// The signed provenance's feature names, when they fit the model and the contract (one per feature,
    /// at most 4,096, each at most 128 characters); otherwise none rather than a wrong list.
    static func featureNames(_ model: ServedModel) -> [String]? {
        guard let names = model.provenance?.featureNames, names.count == model.featureCount, names.count <= 4_096,
              names.allSatisfy({ !$0.isEmpty && $0.count <= 128 }) else { return nil }
        return names
    }

    /// The contract's model card, for the calling key.
    func schema(model: ServedModel, limits: ServeLimits, key: APIKey?, budget: AnswerBudget) -> Components.Schemas.ModelCard {
        let level = Components.Schemas.PrivacyGuarantee.LevelPayload(rawValue: model.provenance?.privacy ?? "") ?? .off
        return .init(
            architecture: .init(kind: .init(rawValue: model.model.kind) ?? .mlp, inputShape: model.model.inputShape.map(Int32.init),
                                outputShape: model.model.outputShape.map(Int32.init), parameters: Int64(model.model.parameterCount)),
            classes: model.classNames,
            features: .init(count: Int32(model.featureCount), names: Self.featureNames(model), standardization: .perHospitalZ,
                            maxAbsZ: limits.maxAbsValue, maxRecordVariance: limits.maxRecordVariance),
            run: .init(id: model.provenance?.run ?? "unknown", name: model.provenance?.run, round: Int64(model.round),
                       dataset: model.provenance?.dataset ?? "unknown", strategy: model.strategy),
            signature: .init(algorithm: .ed25519Sha256, keyId: model.keyFingerprint, sha256: model.checkpointSHA256,
                             encryptedAtRest: model.encryptedAtRest),
            privacy: .init(level: level,
                           hospitals: hospitals.map { .init(hospital: $0.name, epsilon: $0.epsilon, delta: $0.delta, verified: false) },
                           federationEpsilon: federation?.epsilon, federationDelta: federation?.delta),
            privatePrediction: .init(mechanism: .reportNoisyMaxGumbel, epsilonPerAnswer: limits.privateEpsilonPerAnswer, sensitivity: 1,
                                     protects: .wholeModel, accounting: .rdpPureDp,
                                     budgetPerKey: .init(epsilon: budget.epsilon, delta: budget.delta)),
            limits: .init(maxBatch: Int32(limits.maxBatch), maxPrivateBatch: Int32(limits.maxPrivateBatch), maxBodyBytes: Int64(limits.maxBodyBytes),
                          deadlineMilliseconds: Int32(limits.deadlineMilliseconds), maxConcurrentRequests: Int32(limits.maxConcurrentRequests),
                          rateLimit: .init(recordsPerSecond: key?.recordsPerSecond ?? 0, burst: Int32(clamping: key?.burst ?? 1))))
    }
}
