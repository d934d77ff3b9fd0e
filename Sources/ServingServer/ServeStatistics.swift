import Foundation

/// What the server did, for its line a second (`fedtop serve` prints it): requests, latency
/// percentiles, refusals by code, keys rate-limited — since the last line and in total.
///
/// Contract: thread-safe; ``take()`` returns the interval since the previous call and starts a new
/// one. Latencies are kept per interval (at most ``sampleLimit``, uniformly thinned beyond it).
public final class ServeStatistics: @unchecked Sendable {
    public static let sampleLimit = 100_000

    public struct Interval: Sendable, Equatable {
        public var requests = 0
        public var answered = 0
        public var refusals: [String: Int] = [:]
        public var rateLimitedKeys: Set<String> = []
        public var p50Milliseconds = 0.0
        public var p99Milliseconds = 0.0
        public var totalRequests = 0

        /// `requests 120 (ok 117) p50 1.8 ms p99 4.2 ms 4xx: rate_limited 3 · limited keys 1 · total 3,410`
        public var line: String {
            let codes = refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return String(format: "requests %d (ok %d)  p50 %.1f ms  p99 %.1f ms  refused: %@  rate-limited keys %d  total %d",
                          requests, answered, p50Milliseconds, p99Milliseconds, codes.isEmpty ? "none" : codes,
                          rateLimitedKeys.count, totalRequests)
        }
    }

    private let lock = NSLock()
    private var current = Interval()
    private var latencies: [Double] = []
    private var seen = 0
    private var total = 0

    public init() {}

    func record(key: String, decision: String, milliseconds: Double) {
        lock.withLock {
            current.requests += 1
            total += 1
            if decision == "ok" { current.answered += 1 } else { current.refusals[decision, default: 0] += 1 }
            if decision == "rate_limited", key != "-" { current.rateLimitedKeys.insert(key) }
            seen += 1
            if latencies.count < Self.sampleLimit {
                latencies.append(milliseconds)
            } else if Int.random(in: 0..<seen) < Self.sampleLimit {
                latencies[Int.random(in: 0..<Self.sampleLimit)] = milliseconds
            }
        }
    }

    public func take() -> Interval {
        lock.withLock {
            var interval = current
            let sorted = latencies.sorted()
            if !sorted.isEmpty {
                interval.p50Milliseconds = sorted[(sorted.count - 1) / 2]
                interval.p99Milliseconds = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
            }
            interval.totalRequests = total
            current = Interval()
            latencies.removeAll(keepingCapacity: true)
            seen = 0
            return interval
        }
    }
}
