import Foundation
import Prometheus

/// The server's Prometheus metrics, one registry per server (not the process-global metrics system,
/// so servers and tests stay apart); `/metrics` emits them in the text exposition format.
///
/// - `fedtop_serve_requests_total{route, status, decision}`: every response.
/// - `fedtop_serve_request_duration_seconds{route}`: latency histogram.
/// - `fedtop_serve_records_total{route}`: records answered.
/// - `fedtop_serve_private_epsilon_total`: ε charged to keys for private answers.
public final class ServeMetrics: @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    private let lock = NSLock()
    private var requests: [String: Counter] = [:]
    private var durations: [String: DurationHistogram] = [:]
    private var records: [String: Counter] = [:]
    private let epsilon: Counter

    static let buckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                      .milliseconds(500), .seconds(1), .seconds(2.5)]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        epsilon = registry.makeCounter(descriptor: Self.name("private_epsilon", unit: "total", help: "ε charged to API keys for private answers."))
    }

    static func name(_ metric: String, unit: String? = nil, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "fedtop", subsystem: "serve", metricName: metric, unitName: unit, helpText: help)
    }

    func observe(route: String, status: Int, decision: String, seconds: Double) {
        lock.withLock {
            let key = "\(route) \(status) \(decision)"
            let counter = requests[key] ?? registry.makeCounter(
                descriptor: Self.name("requests", unit: "total", help: "Responses by route, status and decision."),
                labels: [("route", route), ("status", String(status)), ("decision", decision)])
            requests[key] = counter
            counter.increment()
            let histogram = durations[route] ?? registry.makeDurationHistogram(
                descriptor: Self.name("request_duration", unit: "seconds", help: "Time from request to response."),
                labels: [("route", route)], buckets: Self.buckets)
            durations[route] = histogram
            histogram.record(.nanoseconds(Int64(seconds * 1e9)))
        }
    }

    func answered(route: String, records count: Int, epsilon charged: Double? = nil) {
        lock.withLock {
            let counter = records[route] ?? registry.makeCounter(
                descriptor: Self.name("records", unit: "total", help: "Records answered."), labels: [("route", route)])
            records[route] = counter
            counter.increment(by: Int64(count))
        }
        if let charged { epsilon.increment(by: charged) }
    }

    public func exposition() -> String { registry.emitToString() }
}
