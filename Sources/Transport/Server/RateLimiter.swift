import Foundation

/// A token bucket per peer: each peer may make `burst` calls at once and `ratePerSecond` calls a
/// second after that; calls beyond are refused (the server answers RESOURCE_EXHAUSTED) without
/// affecting other peers.
///
/// Contract: thread-safe; ``allow(_:now:)`` takes one token from the peer's bucket when one is
/// there. Buckets of peers idle long enough to be full are forgotten, so the table stays small
/// whatever the number of peers that ever connected.
public final class RateLimiter: @unchecked Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Double)] = [:]

    public init(ratePerSecond: Double = 20, burst: Double = 40) {
        precondition(ratePerSecond > 0 && burst >= 1)
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Whether `peer` may make a call now (and if so, it is counted).
    public func allow(_ peer: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if buckets.count > 1_024 {
            buckets = buckets.filter { min(burst, $0.value.tokens + (now - $0.value.at) * ratePerSecond) < burst }
        }
        var bucket = buckets[peer] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * ratePerSecond)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[peer] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[peer] = bucket
        return true
    }
}

/// A bound on calls in flight: ``enter()`` succeeds while fewer than `limit` are, and each success is
/// paired with one ``leave()``.
public final class ConcurrencyLimit: @unchecked Sendable {
    public let limit: Int
    private let lock = NSLock()
    private var inFlight = 0

    public init(limit: Int) {
        precondition(limit >= 1)
        self.limit = limit
    }

    public func enter() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    public func leave() {
        lock.lock()
        inFlight -= 1
        lock.unlock()
    }

    public var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return inFlight
    }
}
