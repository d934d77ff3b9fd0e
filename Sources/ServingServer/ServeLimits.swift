/// The server's limits besides each key's own rate and budget (`GET /v1/model` reports them).
public struct ServeLimits: Sendable {
    /// Records in one `/v1/predict` request.
    public var maxBatch = 64
    /// Records in one `/v1/predict/private` request.
    public var maxPrivateBatch = 16
    /// Bytes of one request body (a batch of 64 lesion images is about 1.6 MB of JSON).
    public var maxBodyBytes = 4 << 20
    /// A request still unanswered this long after its head arrived is refused (before any privacy
    /// spend); its body must also have arrived by then.
    public var deadlineMilliseconds = 2_000
    /// A connection must finish its TLS handshake within this long, or it is closed.
    public var handshakeTimeoutMilliseconds = 10_000
    /// A connection (or HTTP/2 stream) with no request in progress for this long is closed.
    public var idleTimeoutSeconds = 60
    /// Requests in flight at once; more are refused with 503 `overloaded`.
    public var maxConcurrentRequests = 64
    /// Largest |value| of a standardised feature (the run's feature clip when it had one).
    public var maxAbsValue = 10.0
    /// Sponge policy: largest variance of one record's values.
    public var maxRecordVariance = 100.0
    /// ε of one private answer (report-noisy-max; at most ``maximumPrivateEpsilon``).
    public var privateEpsilonPerAnswer = 2.0
    /// Above this ε per answer the Gumbel noise's floating-point range (53-bit uniforms: about
    /// −3.6…37.4 standard Gumbel units, 82/ε in probability) could make a class impossible, and the
    /// mechanism would no longer be ε-DP; the server refuses such a setting.
    public static let maximumPrivateEpsilon = 10.0
    /// A client certificate's token bucket (one per common name): records a second, records at once.
    public var certificateRecordsPerSecond = 50.0
    public var certificateBurst = 100
    /// Failed authentications one client address (IPv4, or IPv6 /64) may make at once, and refilled a
    /// second; past them its requests are refused with 429 before any credential is checked.
    public var failedAuthenticationBurst = 20
    public var failedAuthenticationsPerSecond = 0.5

    public init() {}
}
