/// One second of `fedtop serve`: what the server did since the previous sample.
public struct ServeSample: Sendable, Equatable {
    public var requests: Int
    public var answered: Int
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double
    /// Refused requests by error code (`rate_limited`, `invalid_record`, …).
    public var refusals: [String: Int]
    public var rateLimitedKeys: Int

    public init(requests: Int, answered: Int, p50Milliseconds: Double, p99Milliseconds: Double, refusals: [String: Int], rateLimitedKeys: Int) {
        self.requests = requests
        self.answered = answered
        self.p50Milliseconds = p50Milliseconds
        self.p99Milliseconds = p99Milliseconds
        self.refusals = refusals
        self.rateLimitedKeys = rateLimitedKeys
    }
}

/// What the serve panel (``ServeDashboard``) shows: the served model and where it listens, the last
/// ``window`` seconds of samples, and totals since the start.
///
/// Contract: ``append(_:)`` keeps at most ``window`` samples (the oldest dropped) and adds each
/// sample's counts to the totals; counts are clamped at zero (a sample is the server's own, but the
/// panel never shows a negative count).
public struct ServeDashboardModel: Sendable, Equatable {
    public static let window = 120

    /// `serve-test · round 7 · mlp`
    public var title: String
    /// `mlp, 30 features → malignant, benign; signed by 3f9c…`
    public var modelLine: String
    /// `https://127.0.0.1:8443 (HTTP/2 and HTTP/1.1 over TLS ≥ 1.2)`
    public var address: String
    /// Seconds since the server started.
    public var uptime: Double = 0
    /// What the operator must hear (the audit log failed, the keys file cannot be read), newest last.
    public var problems: [String] = []
    public private(set) var samples: [ServeSample] = []
    public private(set) var totalRequests = 0
    public private(set) var totalAnswered = 0
    public private(set) var refusalTotals: [String: Int] = [:]

    public init(title: String, modelLine: String, address: String) {
        self.title = title
        self.modelLine = modelLine
        self.address = address
    }

    public mutating func append(_ sample: ServeSample) {
        var s = sample
        s.requests = max(0, s.requests)
        s.answered = max(0, min(s.answered, s.requests))
        s.refusals = s.refusals.mapValues { max(0, $0) }
        s.rateLimitedKeys = max(0, s.rateLimitedKeys)
        samples.append(s)
        if samples.count > Self.window { samples.removeFirst(samples.count - Self.window) }
        totalRequests += s.requests
        totalAnswered += s.answered
        for (code, count) in s.refusals { refusalTotals[code, default: 0] += count }
    }

    /// Refused requests of the last `seconds` samples, by code.
    public func recentRefusals(seconds: Int) -> [String: Int] {
        var counts: [String: Int] = [:]
        for s in samples.suffix(seconds) { for (code, count) in s.refusals { counts[code, default: 0] += count } }
        return counts
    }
}
