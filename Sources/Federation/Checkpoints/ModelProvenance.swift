import Foundation

/// What a checkpoint says about its model beyond the weights — the run that made it, the data, the
/// classes, how inputs were standardised, the privacy it was trained under — written into the
/// checkpoint's metadata, so it is signed with the weights: whoever serves the model (`fedtop
/// serve`) reads these facts from the verified file, not from a run folder anyone could edit. A
/// minimal, machine-read model card (Mitchell et al. 2019, "Model Cards for Model Reporting").
///
/// Contract: ``metadata`` and ``init(metadata:)`` round-trip every field; ``init(metadata:)``
/// returns nil for a checkpoint written before these facts were recorded (no `fedtop.run`), and
/// reads a field it cannot parse as absent, never as a default that would overstate the privacy.
public struct ModelProvenance: Sendable, Equatable {
    /// How the training inputs were standardised: each hospital z-scored its own records with its
    /// own mean and standard deviation, which never left it. A served model expects inputs
    /// standardised the same way, by the hospital that sends them.
    public static let perHospitalZScores = "per-hospital-z"

    /// The run's name.
    public var run: String
    /// The dataset as the run named it (`lesions`, `wdbc`, a CSV's file name).
    public var dataset: String
    /// The name of each class, in the model's output order (nil when the run did not know them:
    /// remote hospitals only).
    public var classNames: [String]?
    /// See ``perHospitalZScores``.
    public var featureSpace: String
    /// The bound every standardised feature was clipped to in training (`--feature-clip`), if any.
    public var featureClip: Float?
    /// The name of each feature, when the data named them (a CSV header, WDBC).
    public var featureNames: [String]?
    /// The run's privacy mode (`sample`, `client`, `both`, `off`).
    public var privacy: String
    /// Each hospital's ε budget (and the federation's under client-level DP); nil without DP.
    public var epsilonBudget: Double?
    public var delta: Double

    public init(run: String, dataset: String, classNames: [String]?, featureSpace: String = Self.perHospitalZScores,
                featureClip: Float?, featureNames: [String]? = nil, privacy: String, epsilonBudget: Double?, delta: Double) {
        self.run = run
        self.dataset = dataset
        self.classNames = classNames
        self.featureSpace = featureSpace
        self.featureClip = featureClip
        self.featureNames = featureNames
        self.privacy = privacy
        self.epsilonBudget = epsilonBudget
        self.delta = delta
    }

    enum Key {
        static let run = "fedtop.run", dataset = "fedtop.dataset", classes = "fedtop.classes"
        static let featureSpace = "fedtop.feature_space", featureClip = "fedtop.feature_clip", featureNames = "fedtop.feature_names"
        static let privacy = "fedtop.dp", epsilon = "fedtop.epsilon", delta = "fedtop.delta"
    }

    /// The facts as checkpoint metadata (`fedtop.run`, `fedtop.classes` as a JSON array, …).
    public var metadata: [String: String] {
        var m = [Key.run: run, Key.dataset: dataset, Key.featureSpace: featureSpace, Key.privacy: privacy,
                 Key.delta: String(delta)]
        if let classNames, let json = try? JSONEncoder().encode(classNames) { m[Key.classes] = String(decoding: json, as: UTF8.self) }
        if let featureClip { m[Key.featureClip] = String(featureClip) }
        if let featureNames, let json = try? JSONEncoder().encode(featureNames) { m[Key.featureNames] = String(decoding: json, as: UTF8.self) }
        if let epsilonBudget { m[Key.epsilon] = String(epsilonBudget) }
        return m
    }

    /// The facts a checkpoint's metadata holds, or nil if it holds none (an older checkpoint).
    public init?(metadata m: [String: String]) {
        guard let run = m[Key.run] else { return nil }
        self.run = run
        dataset = m[Key.dataset] ?? ""
        classNames = m[Key.classes].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        featureSpace = m[Key.featureSpace] ?? Self.perHospitalZScores
        featureClip = m[Key.featureClip].flatMap(Float.init)
        featureNames = m[Key.featureNames].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        privacy = m[Key.privacy] ?? "unknown"
        epsilonBudget = m[Key.epsilon].flatMap(Double.init)
        delta = m[Key.delta].flatMap(Double.init) ?? .nan
    }
}
