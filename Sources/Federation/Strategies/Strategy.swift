import Privacy
import TensorCore

/// One validated update as the aggregator combines it.
public struct ClientUpdate: Sendable {
    public var hospital: String
    /// Local minus global parameters, flat. Changing it forgets ``norm``.
    public var delta: Tensor { didSet { norm = nil } }
    /// Records behind the update (the FedAvg weight).
    public var sampleCount: Int
    /// `delta.norm()`, when the caller has already computed it (the intake has, to judge outliers):
    /// norm bounding then uses it instead of a second pass over the update.
    /// - Precondition: nil or exactly `delta.norm()`.
    public var norm: Double?

    public init(hospital: String, delta: Tensor, sampleCount: Int, norm: Double? = nil) {
        self.hospital = hospital
        self.delta = delta
        self.sampleCount = sampleCount
        self.norm = norm
    }
}

/// How a strategy's rule combines updates; client-level DP can wrap only a mean (its sensitivity to
/// one hospital is S/(q·n) after clipping; a median's or Krum's is not bounded that way).
public enum CombinationKind: Sendable, Equatable {
    /// A (weighted) mean of the updates.
    case mean
    /// A robust rule that looks at individual updates (median, trimmed mean, Krum).
    case robust
}

/// An aggregation strategy: a rule that combines the round's updates into one aggregate update, and
/// a server step that moves the global model by it.
///
/// Contract:
/// - ``combine(_:)`` gets at least one update, all of the same length, finite (the engine validates
///   them first), in a deterministic order; it returns an aggregate of that length.
/// - ``apply(_:to:)`` moves the global parameters; stateful servers (FedAdam, FedYogi, FedAdagrad)
///   keep their moments in the strategy value, which the engine owns on its queue.
/// - The maths of each strategy is also a plain static function with its own tests.
public protocol Strategy: Sendable {
    /// The name shown in the console and written to the run's files, e.g. `fedavg`, `trimmed:0.2`.
    var name: String { get }
    var combination: CombinationKind { get }
    /// FedProx's μ for the hospitals' local objective (0 for every other strategy).
    var proximalMu: Float { get }
    /// Combines the round's updates into one aggregate update (mutating: the client-level DP wrapper
    /// draws noise and adapts its clip norm).
    mutating func combine(_ updates: [ClientUpdate]) -> Tensor
    /// How the rule's aggregate is folded as updates arrive (``UpdateFold``), or nil for a rule that
    /// must see every update at once (the engine then keeps the round's updates).
    var foldRule: UpdateFold.Rule? { get }
    /// The aggregate of a round folded with ``foldRule``: exactly ``combine(_:)`` of the updates folded,
    /// in the order they were folded.
    mutating func combine(folded: UpdateFold) -> Tensor
    /// Moves `global` by `aggregate` (FedAvg: global += aggregate).
    mutating func apply(_ aggregate: Tensor, to global: inout Tensor)
    /// The server step of a federated-dropout round (``FederatedDropout``): moves only the coordinates
    /// `subModel` keeps, by `aggregate` (the sub-model's); the dropped coordinates, and any per-coordinate
    /// server state there (FedOpt's moments), are left exactly as they were.
    mutating func apply(_ aggregate: Tensor, to global: inout Tensor, subModel: SubModel)
    /// What the server must keep across rounds besides the model (FedOpt's moments, an adaptive clip
    /// norm), by tensor name (`server.…`); checkpointed with the model so a resumed run continues
    /// exactly. Empty for stateless strategies.
    var serverState: [String: Tensor] { get }
    /// Restores ``serverState`` from a checkpoint. A strategy rejects state it cannot use (a missing
    /// or mis-sized tensor) with an error that names it; stateless strategies ignore it.
    mutating func restoreServerState(_ state: [String: Tensor]) throws(FederationError)
    /// The client-level DP this strategy applies to its aggregate (``DPFedAvg``), or nil: what the
    /// engine asks to pay a round's cost, without knowing which wrapper it is.
    var clientPrivacy: ClientPrivacy? { get }
    /// Changes the client-level noise multiplier z (a new accountant segment from the next round).
    /// A strategy without client-level DP throws.
    mutating func setClientNoise(_ z: ClientNoiseMultiplier) throws(PrivacyError)
    /// Changes the client-level clip norm S. A strategy without client-level DP throws.
    mutating func setClientClip(_ s: ClipNorm) throws(PrivacyError)
}

extension Strategy {
    public var proximalMu: Float { 0 }
    public var foldRule: UpdateFold.Rule? { nil }
    public mutating func combine(folded: UpdateFold) -> Tensor {
        preconditionFailure("\(name) has no fold rule: it combines the round's updates at once")
    }
    public var serverState: [String: Tensor] { [:] }
    public mutating func restoreServerState(_ state: [String: Tensor]) throws(FederationError) {}
    public var clientPrivacy: ClientPrivacy? { nil }
    public mutating func setClientNoise(_ z: ClientNoiseMultiplier) throws(PrivacyError) {
        throw .invalidSetting(name: "client-level noise multiplier z of \(name), which has no client-level DP", value: z.value,
                              expected: "a strategy wrapped in DP-FedAvg (--dp client or both)")
    }
    public mutating func setClientClip(_ s: ClipNorm) throws(PrivacyError) {
        throw .invalidSetting(name: "client-level clip norm S of \(name), which has no client-level DP", value: s.value,
                              expected: "a strategy wrapped in DP-FedAvg (--dp client or both)")
    }

    /// The plain server step: global += aggregate.
    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor) {
        global.add(aggregate, scaledBy: 1)
    }

    /// For a strategy whose server step is coordinate-wise and keeps no per-coordinate state: the step
    /// on the kept coordinates, written back.
    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor, subModel: SubModel) {
        var kept = subModel.gather(global)
        apply(aggregate, to: &kept)
        subModel.scatter(kept, into: &global)
    }
}
