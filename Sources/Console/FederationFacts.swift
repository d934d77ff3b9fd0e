import Federation

/// What the console knows about a federation besides its events: each hospital's location and
/// records (the engine's events name hospitals but do not describe them). `fedtop` fills it from
/// its setup; a journal stores it in its first line so a replay shows the same table.
public struct FederationFacts: Sendable, Codable, Equatable {
    /// One hospital as the table shows it.
    public struct Hospital: Sendable, Codable, Equatable {
        public var name: String
        /// `local` (simulated in this process) or `remote` (another process, over the transport).
        public var location: String
        /// Training records (the DP-SGD sampling population).
        public var records: Int
        public var testRecords: Int
        /// The hospital's own privacy policy in one line (``HospitalPolicy/summary``), nil when it told none.
        public var policy: String?
        /// How it trains, when it is not on clean batches: `adversarial pgd:0.1:3, 50 % of records`
        /// (``AdversarialTraining``). Nil for clean training, and for a remote hospital (its own choice).
        public var training: String?

        public init(name: String, location: String, records: Int, testRecords: Int, policy: String? = nil, training: String? = nil) {
            self.name = name
            self.location = location
            self.records = records
            self.testRecords = testRecords
            self.policy = policy
            self.training = training
        }
    }

    public var hospitals: [Hospital]
    /// Which DP the run uses (its JSON form is the mode's name: `sample`, `client`, `both` or `off`).
    public var privacy: PrivacyMode
    /// Client-level DP's hospital sample rate q (nil under sample-level DP).
    public var clientSampleRate: Double?
    /// Whether secure aggregation is on (it has phases the aggregator panel shows).
    public var secureAggregation: Bool
    /// The accuracy of always answering the most common class on the evaluation set (its share of
    /// the set, 0…1): the line a model must clear to have learned anything. Nil when the evaluation
    /// set's classes are not known here (remote hospitals, journals of older versions).
    public var majorityBaseline: Double?

    public init(hospitals: [Hospital], privacy: PrivacyMode, clientSampleRate: Double? = nil, secureAggregation: Bool = false,
                majorityBaseline: Double? = nil) {
        self.hospitals = hospitals
        self.privacy = privacy
        self.clientSampleRate = clientSampleRate
        self.secureAggregation = secureAggregation
        self.majorityBaseline = majorityBaseline
    }

    /// The share of the most common class among `classCounts` (records per class of an evaluation
    /// set): the majority-class baseline. Nil for an empty set.
    public static func majorityShare(classCounts: [Int]) -> Double? {
        let total = classCounts.reduce(0, +)
        guard total > 0, let top = classCounts.max() else { return nil }
        return Double(top) / Double(total)
    }

    public static let none = FederationFacts(hospitals: [], privacy: .sample)
}
