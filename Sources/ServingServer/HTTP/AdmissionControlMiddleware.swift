import Foundation
import Hummingbird

/// Caps the requests in flight: past ``ServeLimits/maxConcurrentRequests`` a request is refused at
/// once with 503 `overloaded` (Retry-After 1) instead of queueing behind the others; while the
/// audit log has failed, every request is refused with 503 `unavailable` (fail closed: no
/// unaudited answers).
public struct AdmissionControlMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let limit: Int
    let audit: ServeAuditLogProbe
    private let inFlight = InFlightCounter()

    public init(limit: Int, audit: ServeAuditLogProbe) {
        self.limit = limit
        self.audit = audit
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let failure = audit.failure() {
            context.logger.error("refusing requests: the audit log failed: \(failure)")
            throw ServeRefusal(.serviceUnavailable, .unavailable, headers: [.retryAfter: "5"])
        }
        guard inFlight.enter(limit: limit) else { throw ServeRefusal(.serviceUnavailable, .overloaded, headers: [.retryAfter: "1"]) }
        defer { inFlight.leave() }
        return try await next(request, context)
    }
}

/// Whether the audit log still works (nil) or why it failed.
public struct ServeAuditLogProbe: Sendable {
    public let failure: @Sendable () -> String?
    public init(failure: @escaping @Sendable () -> String?) { self.failure = failure }
}

final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func enter(limit: Int) -> Bool { lock.withLock { guard count < limit else { return false }; count += 1; return true } }
    func leave() { lock.withLock { count -= 1 } }
}
