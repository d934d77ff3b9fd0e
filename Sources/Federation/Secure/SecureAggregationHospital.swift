import SecureAggregation
import TensorCore

/// A hospital that can take part in secure aggregation (Bonawitz et al. 2017; SecAgg+ by Bell et al.
/// 2020): it trains, then keeps its update to itself and answers the protocol's rounds, so the
/// aggregator only ever learns the sum of the surviving hospitals' updates.
///
/// Contract:
/// - ``trainSecurely(globalModel:settings:plan:progress:)`` trains exactly as ``Hospital/train(globalModel:settings:progress:)``
///   (same ledger write-ahead and budget refusal), encodes the update with the plan's
///   ``SecureEncoding`` (client-side clipping, quantisation, the hospital's share of distributed noise)
///   and returns only metrics and its two public keys. The update itself never leaves.
/// - The three later calls answer the rounds of the session started by the last `trainSecurely`, for
///   that round only, in order, once each; anything else (another round, a repeated or conflicting
///   request) is refused with ``HospitalError/secureAggregation(hospital:reason:)``.
public protocol SecureAggregationHospital: Hospital {
    func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                       progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt
    func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare]
    func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput
    func unmask(round: Int, request: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse
}

/// One hospital's part in one secure round: the session, its id in it, and how to encode its update.
public struct SecureRoundPlan: Sendable, Equatable {
    public var parameters: SecAggParameters
    public var participant: UInt32
    public var encoding: SecureEncoding

    public init(parameters: SecAggParameters, participant: UInt32, encoding: SecureEncoding) {
        self.parameters = parameters
        self.participant = participant
        self.encoding = encoding
    }
}

/// What a hospital returns from secure training: metrics and keys, never the update.
public struct SecureTrainingReceipt: Sendable, Equatable {
    public var hospital: String
    public var round: Int
    public var keys: AdvertisedKeys
    public var trainLoss: Double
    public var clippedFraction: Double
    /// Coordinates clipped to the quantisation range (a sign that the range is too narrow).
    public var clippedCoordinates: Int
    public var epsilonSpent: Double?
    public var secureNoise: Bool
    public var seconds: Double

    public init(hospital: String, round: Int, keys: AdvertisedKeys, trainLoss: Double, clippedFraction: Double,
                clippedCoordinates: Int, epsilonSpent: Double?, secureNoise: Bool, seconds: Double) {
        self.hospital = hospital
        self.round = round
        self.keys = keys
        self.trainLoss = trainLoss
        self.clippedFraction = clippedFraction
        self.clippedCoordinates = clippedCoordinates
        self.epsilonSpent = epsilonSpent
        self.secureNoise = secureNoise
        self.seconds = seconds
    }
}
