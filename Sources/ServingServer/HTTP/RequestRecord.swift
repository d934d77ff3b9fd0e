import Foundation

/// What one request came to, filled in as it passes the middlewares and the handler, and written to
/// the audit log, the metrics and the statistics when its response leaves (`RequestIdentityMiddleware`):
/// who (key id), which route, the decision (`ok` or the refusal code), how many records, ε charged.
/// Never the input values.
public final class RequestRecord: @unchecked Sendable {
    /// When the request's head arrived (`DispatchTime` uptime, ns): its deadline runs from here.
    let started: UInt64
    private let lock = NSLock()
    private(set) var key = "-"
    private(set) var decision = "ok"
    private(set) var records = 0
    private(set) var epsilon: Double?

    init(started: UInt64 = DispatchTime.now().uptimeNanoseconds) { self.started = started }

    /// Milliseconds since the request's head arrived.
    var elapsedMilliseconds: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 }

    func set(key: String) { lock.withLock { self.key = key } }
    func set(decision: String) { lock.withLock { self.decision = decision } }
    func set(records: Int, epsilon: Double? = nil) {
        lock.withLock {
            self.records = records
            if let epsilon { self.epsilon = epsilon }
        }
    }

    var snapshot: (key: String, decision: String, records: Int, epsilon: Double?) { lock.withLock { (key, decision, records, epsilon) } }

    /// The record of the request being handled.
    @TaskLocal static var current: RequestRecord?
}
