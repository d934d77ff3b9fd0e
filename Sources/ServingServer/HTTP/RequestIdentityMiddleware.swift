import Foundation
import HTTPTypes
import Hummingbird
import Serving

/// Outermost middleware: gives the request an id, puts the security headers on every response (the
/// error responses built further in included, and a last-resort 500 if anything still throws), and
/// when the response leaves writes the request's audit line, metrics and statistics.
public struct RequestIdentityMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let overTLS: Bool
    let audit: ServeAuditLog?
    let metrics: ServeMetrics
    let statistics: ServeStatistics

    public init(overTLS: Bool, audit: ServeAuditLog?, metrics: ServeMetrics, statistics: ServeStatistics) {
        self.overTLS = overTLS
        self.audit = audit
        self.metrics = metrics
        self.statistics = statistics
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        var context = context
        let id = Self.makeRequestID()
        context.requestID = id
        context.logger[metadataKey: "serve.request"] = .string(id)
        let record = RequestRecord(started: started)
        var response: Response
        do {
            response = try await RequestIdentity.$current.withValue(id) {
                try await RequestRecord.$current.withValue(record) {
                    try await next(request, context)
                }
            }
        } catch {
            context.logger.error("unhandled error reached the outermost middleware: \(type(of: error))")
            record.set(decision: "internal")
            response = JSONErrorBody.response(status: .internalServerError, code: ._internal, requestID: id)
        }
        response.headers[.xRequestID] = id
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        response.headers[.referrerPolicy] = "no-referrer"
        if overTLS { response.headers[.strictTransportSecurity] = "max-age=31536000" }

        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let outcome = record.snapshot
        let route = ServeRoutes.name(of: request.uri.path)
        audit?.record(ServeAuditEntry(request: id, key: outcome.key, route: route, status: Int(response.status.code),
                                      decision: outcome.decision, records: outcome.records, epsilon: outcome.epsilon,
                                      milliseconds: milliseconds))
        metrics.observe(route: route, status: Int(response.status.code), decision: outcome.decision, seconds: milliseconds / 1e3)
        statistics.record(key: outcome.key, decision: outcome.decision, milliseconds: milliseconds)
        return response
    }

    /// 128 random bits, hex.
    static func makeRequestID() -> String {
        var rng = SystemRandomNumberGenerator()
        let hi = rng.next() as UInt64, lo = rng.next() as UInt64
        return [hi, lo].map { let h = String($0, radix: 16); return String(repeating: "0", count: 16 - h.count) + h }.joined()
    }
}

/// The routes by name, for logs, metrics and the audit log (an unknown path is `unmatched`, never echoed).
enum ServeRoutes {
    static let names = ["/v1/predict": "predict", "/v1/predict/private": "predict_private", "/v1/model": "model",
                        "/healthz": "healthz", "/metrics": "metrics"]
    static func name(of path: String) -> String { names[normalized(path)] ?? "unmatched" }

    /// The path as the router matches it: empty segments dropped (`//v1/predict/` is `/v1/predict`).
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
