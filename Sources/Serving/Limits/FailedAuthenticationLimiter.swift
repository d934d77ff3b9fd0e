#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Failed authentications per client address: a token bucket of failures for each address (an IPv4
/// address, or an IPv6 /64, which one host usually holds whole). Past its allowance an address's
/// failures are answered 429 with `Retry-After` instead of 401 (OWASP Authentication Cheat Sheet,
/// "Protect against automated attacks"), which slows a guessing client and bounds the log and CPU its
/// failures cost. A valid credential is always served: with 256-bit secrets there is no lucky guess to
/// hide, and clients behind one NAT must not lose service because one of them holds a revoked key.
///
/// Contract: thread-safe. ``fail(address:)`` spends one token of the address's bucket (full, `burst`
/// tokens, on its first failure) and answers nil or the seconds to wait. Memory is bounded: past
/// `maxAddresses` buckets, those that have refilled are dropped (at most once a second), and failures
/// from further new addresses share one overflow bucket; addresses that never fail never get one.
public final class FailedAuthenticationLimiter: @unchecked Sendable {
    public let burst: Int
    public let perSecond: Double
    public let maxAddresses: Int
    static let overflow = "overflow"
    private let lock = NSLock()
    private var buckets: [String: TokenBucket] = [:]
    private var lastPurge = -Double.infinity
    private let clock: @Sendable () -> Double

    /// - Parameter clock: seconds on a monotonic clock (tests give their own).
    public init(burst: Int = 20, perSecond: Double = 0.5, maxAddresses: Int = 100_000,
                clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        precondition(burst >= 1 && perSecond > 0 && maxAddresses >= 1)
        self.burst = burst
        self.perSecond = perSecond
        self.maxAddresses = maxAddresses
        self.clock = clock
    }

    /// Records a failed authentication from `address`: nil while the address is within its allowance
    /// (answer 401), or whole seconds to wait (1…3600) once it is spent (answer 429). The check and the
    /// charge are one step, so concurrent guesses cannot all slip past an empty bucket.
    public func fail(address: String) -> Int? {
        let now = clock()
        return lock.withLock {
            var key = address
            if buckets[key] == nil, buckets.count >= maxAddresses {
                if now - lastPurge >= 1 {
                    lastPurge = now
                    buckets = buckets.filter { entry in
                        var bucket = entry.value
                        _ = bucket.take(0, now: now)
                        return bucket.tokens < bucket.capacity
                    }
                }
                if buckets.count >= maxAddresses { key = Self.overflow }
            }
            var bucket = buckets[key] ?? TokenBucket(capacity: Double(burst), rate: perSecond, now: now)
            let wait = bucket.take(1, now: now)
            buckets[key] = bucket
            return wait.map { Int(min(3600, max(1, $0.rounded(.up)))) }
        }
    }

    /// Addresses with a bucket now (for tests and the metrics).
    public var trackedAddresses: Int { lock.withLock { buckets.count } }

    /// The bucket's name for a peer's address: an IPv4 address as written, an IPv6 address's first 64
    /// bits in hex (an IPv4-mapped IPv6 address as its IPv4 address), anything else as given.
    public static func bucket(for address: String) -> String {
        var v6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }
}
