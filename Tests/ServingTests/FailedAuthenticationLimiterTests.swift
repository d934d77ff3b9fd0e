import Foundation
import Testing
import Serving

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds = 1_000.0
    func now() -> Double { lock.withLock { seconds } }
    func advance(_ by: Double) { lock.withLock { seconds += by } }
}

@Suite("Failed authentications per client address: guessing keys is slowed, then refused, in bounded memory")
struct FailedAuthenticationLimiterTests {
    @Test("an address may fail `burst` times; then it waits; other addresses are untouched; time refills it")
    func perAddress() {
        let clock = ManualClock()
        let limiter = FailedAuthenticationLimiter(burst: 5, perSecond: 0.5, clock: { clock.now() })
        for _ in 0..<5 { #expect(limiter.fail(address: "203.0.113.9") == nil) }
        #expect(limiter.fail(address: "203.0.113.9") == 2)  // one token at 0.5 a second
        #expect(limiter.fail(address: "203.0.113.10") == nil)
        clock.advance(1.9)
        #expect(limiter.fail(address: "203.0.113.9") == 1)
        clock.advance(0.2)
        #expect(limiter.fail(address: "203.0.113.9") == nil, "a refilled token pays for one more failure")
        #expect(limiter.fail(address: "203.0.113.9") != nil)
    }

    @Test("concurrent failures from one address never get past the allowance")
    func concurrent() async {
        let limiter = FailedAuthenticationLimiter(burst: 20, perSecond: 0.001)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { limiter.fail(address: "198.51.100.1") == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 20)
    }

    @Test("memory is bounded: refilled buckets are dropped, and new failing addresses past the bound share one overflow bucket")
    func bounded() {
        let clock = ManualClock()
        let limiter = FailedAuthenticationLimiter(burst: 2, perSecond: 1, maxAddresses: 3, clock: { clock.now() })
        for a in ["a", "b", "c"] { #expect(limiter.fail(address: a) == nil) }
        #expect(limiter.trackedAddresses == 3)
        // d, e, f: no room, and nothing has refilled: they share the overflow bucket (2 failures).
        #expect(limiter.fail(address: "d") == nil)
        #expect(limiter.fail(address: "e") == nil)
        #expect(limiter.fail(address: "f") != nil, "the overflow bucket is spent")
        #expect(limiter.fail(address: "a") == nil, "known addresses keep their own buckets")
        #expect(limiter.trackedAddresses == 4)
        // Two seconds later every bucket is full again: a new address's failure makes room by dropping them.
        clock.advance(2)
        #expect(limiter.fail(address: "g") == nil)
        #expect(limiter.trackedAddresses == 1)
    }

    @Test("the bucket of an address: IPv4 as written, IPv6 by its /64, IPv4-mapped IPv6 as IPv4")
    func bucketNames() {
        #expect(FailedAuthenticationLimiter.bucket(for: "192.0.2.7") == "192.0.2.7")
        let a = FailedAuthenticationLimiter.bucket(for: "2001:db8:1:2:aaaa::1")
        #expect(a == FailedAuthenticationLimiter.bucket(for: "2001:db8:1:2:ffff:ffff:ffff:ffff"))
        #expect(a != FailedAuthenticationLimiter.bucket(for: "2001:db8:1:3::1"))
        #expect(a.hasSuffix("/64"))
        #expect(FailedAuthenticationLimiter.bucket(for: "::ffff:192.0.2.7") == "192.0.2.7")
        #expect(FailedAuthenticationLimiter.bucket(for: "::1") != FailedAuthenticationLimiter.bucket(for: "2001:db8::1"))
    }
}
