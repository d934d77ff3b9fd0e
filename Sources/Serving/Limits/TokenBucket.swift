import Foundation

/// A token bucket (Turner 1986; as in every API gateway): `capacity` tokens, refilled at `rate` a
/// second; a request costs tokens and is refused while the bucket holds fewer.
///
/// Contract: time is given by the caller (seconds on a monotonic clock), so the bucket is a plain
/// value and its behaviour exactly testable. ``take(_:now:)`` either takes the tokens (nil) or takes
/// none and returns the seconds until they will be there (for `Retry-After`); a cost above the
/// capacity can never be paid and returns +∞.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let rate: Double
    public private(set) var tokens: Double
    private var last: Double

    public init(capacity: Double, rate: Double, now: Double) {
        precondition(capacity >= 1 && rate > 0, "TokenBucket: capacity ≥ 1 and rate > 0")
        self.capacity = capacity
        self.rate = rate
        tokens = capacity
        last = now
    }

    public mutating func take(_ cost: Double, now: Double) -> Double? {
        if now > last {
            tokens = min(capacity, tokens + (now - last) * rate)
            last = now
        }
        guard cost <= capacity else { return .infinity }
        guard tokens >= cost else { return (cost - tokens) / rate }
        tokens -= cost
        return nil
    }
}

/// One token bucket per API key (sized by the key's own limits), shared by the request handlers.
///
/// Contract: thread-safe; a key's bucket is made full on its first request. ``take(key:cost:)``
/// answers nil (allowed) or whole seconds to wait, at least 1.
public final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [String: TokenBucket] = [:]
    private let clock: @Sendable () -> Double

    /// - Parameter clock: seconds on a monotonic clock (tests give their own).
    public init(clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.clock = clock
    }

    public func take(key: APIKey, cost: Int) -> Int? {
        take(id: key.id, rate: key.recordsPerSecond, burst: key.burst, cost: cost)
    }

    /// The bucket named `id` (made full, of `burst` tokens refilled at `rate`, on first use): nil, or
    /// whole seconds to wait (1…3600; a cost over the burst can never be paid and gets 3600).
    public func take(id: String, rate: Double, burst: Int, cost: Int) -> Int? {
        let now = clock()
        return lock.withLock {
            var bucket = buckets[id] ?? TokenBucket(capacity: Double(max(1, burst)), rate: max(rate, 1e-9), now: now)
            let wait = bucket.take(Double(max(1, cost)), now: now)
            buckets[id] = bucket
            return wait.map { $0.isFinite ? Int(min(3600, max(1, $0.rounded(.up)))) : 3600 }
        }
    }
}
