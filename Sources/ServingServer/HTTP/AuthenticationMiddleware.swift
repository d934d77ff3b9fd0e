import HTTPTypes
import Hummingbird
import NIOSSL
import Serving
import X509

/// `Authorization: Bearer <key>` or `X-API-Key: <key>` (exactly one), or a verified TLS client certificate.
/// `/healthz` is exempt. The principal reaches the OpenAPI handlers as `Principal.current` (a task-local).
/// Each failure spends a token of the client address's bucket (``FailedAuthenticationLimiter``); once
/// it is empty, the address's failures are answered 429 instead of 401. Valid credentials are always served.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let keys: KeyRing
    let exemptPaths: Set<String>
    /// Scopes given to a verified client certificate.
    let certificateScopes: Set<APIScope>
    let failures: FailedAuthenticationLimiter

    public init(keys: KeyRing, exemptPaths: Set<String> = ["/healthz"], certificateScopes: Set<APIScope> = [.predict],
                failures: FailedAuthenticationLimiter = FailedAuthenticationLimiter()) {
        self.keys = keys
        self.exemptPaths = exemptPaths
        self.certificateScopes = certificateScopes
        self.failures = failures
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if exemptPaths.contains(ServeRoutes.normalized(request.uri.path)) {
            return try await next(request, context)
        }
        guard let principal = try authenticate(request.headers, context: context) else {
            // No address under HummingbirdTesting's `.router`; every real connection has one.
            if let address = context.remoteAddress?.ipAddress.map(FailedAuthenticationLimiter.bucket(for:)),
               let wait = failures.fail(address: address) {
                throw ServeRefusal(.tooManyRequests, .rateLimited, headers: [.retryAfter: String(wait)])
            }
            throw ServeRefusal(.unauthorized, .unauthenticated, headers: [.wwwAuthenticate: "Bearer"])
        }
        RequestRecord.current?.set(key: principal.name)
        return try await Principal.$current.withValue(principal) {
            try await next(request, context)
        }
    }

    func authenticate(_ headers: HTTPFields, context: Context) throws -> Principal? {
        let authorization = headers[values: .authorization]
        let apiKey = headers[values: .xAPIKey]
        switch (authorization.count, apiKey.count) {
        case (0, 0):
            guard let certificate = context.peerValidatedChain?.first ?? context.peerCertificate,
                let commonName = Self.commonName(of: certificate)
            else { return nil }
            return Principal(credential: .clientCertificate(commonName: commonName), scopes: certificateScopes)
        case (1, 0):
            let value = authorization[0]
            guard value.count <= 256, value.lowercased().hasPrefix("bearer ") else { return nil }
            return principal(keys.authenticate(token: value.dropFirst("bearer ".count)))
        case (0, 1):
            guard apiKey[0].count <= 256 else { return nil }
            return principal(keys.authenticate(token: apiKey[0][...]))
        default:
            return nil  // both at once, or a repeated header
        }
    }

    func principal(_ key: APIKey?) -> Principal? {
        key.map { Principal(credential: .apiKey($0), scopes: Set($0.scopes)) }
    }

    /// The subject's common name, read with swift-certificates (NIOSSLCertificate has no public subject accessor).
    static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        for rdn in parsed.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}

/// Requires one of a route's scopes. The path is normalised as the router matches it (empty segments
/// dropped: `/v1/predict/` and `//v1/predict` reach the same handler as `/v1/predict`), and a path
/// with no entry needs no scope only when it matches no route at all (the router then answers 404).
public struct ScopeMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let scopes: [String: Set<APIScope>]

    public init(scopes: [String: Set<APIScope>]) { self.scopes = scopes }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let needed = scopes[ServeRoutes.normalized(request.uri.path)], let principal = Principal.current,
           principal.scopes.isDisjoint(with: needed) {
            throw ServeRefusal.forbidden
        }
        return try await next(request, context)
    }
}
