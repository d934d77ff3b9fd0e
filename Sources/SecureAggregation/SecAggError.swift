/// Why a secure-aggregation step failed. The `description` is for the local log; a peer is only told
/// that the step was refused.
public enum SecAggError: Error, Equatable, CustomStringConvertible {
    /// Parameters that cannot run (threshold, sizes, a modulus that could wrap).
    case invalidConfiguration(String)
    /// Fewer than t parties left at a phase: the round aborts with no aggregate.
    case belowThreshold(phase: SecAggPhase, have: Int, need: Int)
    /// Not enough shares to reconstruct a secret.
    case notEnoughShares(have: Int, need: Int)
    /// A message that does not parse, authenticate or fit the session.
    case malformed(String)
    /// A request the protocol forbids (a misbehaving aggregator), refused by the hospital.
    case refused(String)
    /// A call out of the protocol's order.
    case outOfOrder(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): "secure aggregation: \(s)"
        case let .belowThreshold(phase, have, need):
            "secure aggregation aborted at \(phase.word): \(have) hospital(s) left, below the threshold t = \(need); no aggregate, nothing revealed"
        case let .notEnoughShares(have, need): "secure aggregation: \(have) share(s), \(need) needed"
        case .malformed(let s): "secure aggregation: malformed message: \(s)"
        case .refused(let s): "secure aggregation: refused: \(s)"
        case .outOfOrder(let s): "secure aggregation: out of order: \(s)"
        }
    }
}

/// The four rounds of the protocol (Bonawitz et al. 2017, §4), as the console shows them.
public enum SecAggPhase: String, Sendable, Equatable, Codable, CaseIterable {
    /// Round 0: each hospital advertises two X25519 public keys (after local training).
    case advertiseKeys = "advertise"
    /// Round 1: each hospital Shamir-shares its mask key and self-mask seed, encrypted to each neighbour.
    case shareKeys = "share"
    /// Round 2: each hospital sends its quantised update plus masks.
    case maskedInput = "masked"
    /// Round 4: survivors reveal self-mask shares of survivors and key shares of the dropped.
    case unmasking = "unmask"

    public var word: String {
        switch self {
        case .advertiseKeys: "key advertisement"
        case .shareKeys: "key sharing"
        case .maskedInput: "masked input collection"
        case .unmasking: "unmasking"
        }
    }
}
