import TensorCore

/// The aggregator's side of federated dropout (Caldas, Konečný, McMahan & Talwalkar 2018, "Expanding the
/// Reach of Federated Learning by Reducing Client Resource Requirements"): each round, hospitals receive a
/// sub-model keeping a fraction of every hidden layer's units (neurons, conv filters), train it, and
/// return an update for the sub-model only; the aggregator maps the combined update back into the full
/// model, where the dropped units do not move this round.
///
/// Contract and decisions:
/// - **One mask per round, the same for every selected hospital**, drawn from the run's seed and the
///   round (``SubModelMask/random(for:keep:seed:)``), kept by the aggregator to map the round back. The
///   paper lets clients differ; one shared mask is what makes the other defences compose:
///   - *secure aggregation*: every hospital's vector has the same coordinates, so the shares cover only
///     the sub-model's coordinates (the dropped ones are not zeros in the shares: they are not sent at
///     all, which is the communication saving) and the masked sum is the sum of sub-model updates;
///   - *robust strategies* (Krum, trimmed mean, median, norm bounding) compare updates coordinate by
///     coordinate or by distance, which is only meaningful on a common set of coordinates;
///   - *client-level DP*: the updates are clipped and noised as a whole in the sub-model's space; the
///     dropped coordinates are a constant zero chosen without any data, so they reveal nothing.
/// - Sample-level DP is unchanged: a hospital clips each sample's gradient of the sub-model to C and noises
///   the sub-model's coordinates. Whatever function is differentiated, clipping bounds one record's
///   contribution to each step by C, and the mask is public and chosen without data, so each step is the
///   same subsampled Gaussian mechanism and the accounting is the same (``HospitalTrainer``).
/// - The distributed noise of secure rounds is calibrated and accounted at the full model's dimension:
///   its sensitivity bound grows with the dimension, so each hospital adds more noise than the sub-model
///   needs (a utility cost) and ε is over-reported, never under-reported.
/// - The server step moves the kept coordinates only (``Strategy/apply(_:to:subModel:)``): a dropped
///   unit does not move, and FedOpt's moments there wait, unchanged, for the next round that keeps it.
/// - A keep fraction of 1, or a model without hidden layers (logistic regression), trains the full model.
public struct FederatedDropout: Sendable, Equatable {
    /// The share of each hidden layer's units a round keeps, in (0, 1].
    public let keep: Double
    public let seed: UInt64

    public init(keep: Double, seed: UInt64) {
        precondition(keep > 0 && keep <= 1, "federated dropout keeps a fraction in (0, 1], got \(keep)")
        self.keep = keep
        self.seed = seed
    }

    /// Round `round`'s sub-model of `model`, or nil when the round trains the full model; throws for a
    /// model with a layer that cannot be thinned.
    public func subModel(of model: Sequential, round: Int) throws(ModelError) -> SubModel? {
        guard keep < 1, !model.hiddenUnits.isEmpty else { return nil }
        var stream = SeededGenerator(seed: seed ^ 0x6665_6464_726F_7000, stream: UInt64(truncatingIfNeeded: round))
        let mask = SubModelMask.random(for: model, keep: keep, seed: stream.next())
        return try model.subModel(mask)
    }
}

/// What a round's model exchange weighed: the parameters sent each way, as 32-bit words (a float, or a
/// secure-aggregation word), before transport framing.
public struct RoundCommunication: Sendable, Codable, Equatable {
    /// Parameters in the model each hospital received (the sub-model's under federated dropout).
    public var parameters: Int
    /// Parameters in the full model.
    public var fullParameters: Int
    /// Bytes of model sent to the selected hospitals (4 per parameter each).
    public var bytesDown: Int
    /// Bytes of update received from the hospitals that delivered.
    public var bytesUp: Int

    public init(parameters: Int, fullParameters: Int, selected: Int, delivered: Int) {
        self.parameters = parameters
        self.fullParameters = fullParameters
        bytesDown = 4 * parameters * max(0, selected)
        bytesUp = 4 * parameters * max(0, delivered)
    }

    static let maxBytes = 1 << 52

    /// The share of the full model's parameters each hospital trained.
    public var keptFraction: Double { fullParameters > 0 ? Double(parameters) / Double(fullParameters) : 1 }

    /// Why these figures cannot be shown (from a recording or a peer), or nil.
    public var problem: String? {
        if parameters < 0 || fullParameters < 1 || parameters > fullParameters { return "parameters \(parameters) of \(fullParameters)" }
        // Bounded so that sums of them cannot overflow (a recording is not trusted).
        if !(0...Self.maxBytes).contains(bytesDown) || !(0...Self.maxBytes).contains(bytesUp) {
            return "byte counts \(bytesDown), \(bytesUp) outside 0…2^52"
        }
        return nil
    }
}
