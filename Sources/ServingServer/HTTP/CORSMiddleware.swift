import Foundation
import HTTPTypes
import Hummingbird

/// Which web origins may call the API from a browser. Off by default (no CORS header at all, so
/// browsers refuse cross-origin reads); `--cors-origin` names each allowed origin exactly. A
/// wildcard is never accepted: the API answers authenticated requests, and `*` would let any page a
/// key holder visits read them.
///
/// Contract: ``init(origins:)`` accepts only `http(s)://host[:port]` origins (lowercased; no path,
/// query, user or fragment) and throws a message naming the bad one.
public struct CORSPolicy: Sendable, Equatable {
    public let origins: Set<String>

    public init(origins: [String]) throws(CORSPolicyError) {
        var accepted: Set<String> = []
        for origin in origins { accepted.insert(try Self.normalized(origin)) }
        self.origins = accepted
    }

    static func normalized(_ text: String) throws(CORSPolicyError) -> String {
        guard text != "*", text.lowercased() != "null" else { throw CORSPolicyError("\(text): a wildcard or null origin is never allowed; name each origin (https://host[:port])") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw CORSPolicyError("\(text): not an origin; expected http(s)://host[:port] with no path")
        }
        return "\(scheme)://\(host.lowercased())" + (components.port.map { ":\($0)" } ?? "")
    }
}

public struct CORSPolicyError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Answers CORS preflights and marks responses readable by the allowed origins (errors included, so
/// a page can read a 401 or a 429). Placed outside the error responder and before authentication: browsers send preflights without
/// credentials. A request from an origin not on the list gets no CORS header; its preflight is
/// refused with 403 `forbidden`.
public struct CORSMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let policy: CORSPolicy
    static let allowedMethods = "GET, POST"
    static let allowedHeaders = "authorization, content-type, x-api-key"
    static let exposedHeaders = "retry-after, x-request-id"

    public init(policy: CORSPolicy) { self.policy = policy }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = policy.origins.contains(origin.lowercased())
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else { return JSONErrorBody.response(status: .forbidden, code: .forbidden, requestID: context.requestID) }
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = "600"
            response.headers[.vary] = "Origin"
            return response
        }
        var response = try await next(request, context)  // the error responder is further in: refusals arrive as responses
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        response.headers[.vary] = "Origin"
        return response
    }
}
