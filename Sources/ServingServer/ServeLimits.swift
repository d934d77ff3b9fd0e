/// The server's limits besides each key's own rate and budget (`GET /v1/model` reports them).
public struct ServeLimits: Sendable {
    /// Records in one `/v1/predict` request.
    public var maxBatch = 64
    /// Records in one `/v1/predict/private` request.
    public var maxPrivateBatch = 16
    /// Bytes of one request body (a batch of 64 lesion images is about 1.6 MB of JSON).
    public var maxBodyBytes = 4 << 20
    /// A request still unanswered after this long is refused (before any privacy spend).
    public var deadlineMilliseconds = 2_000
    /// Requests in flight at once; more are refused with 503 `overloaded`.
    public var maxConcurrentRequests = 64
    /// Largest |value| of a standardised feature (the run's feature clip when it had one).
    public var maxAbsValue = 10.0
    /// Sponge policy: largest variance of one record's values.
    public var maxRecordVariance = 100.0
    /// ε of one private answer (report-noisy-max).
    public var privateEpsilonPerAnswer = 2.0

    public init() {}
}
