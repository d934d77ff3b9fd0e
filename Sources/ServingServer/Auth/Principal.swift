import Serving

/// Who is calling. Travels to the OpenAPI handlers as a task-local: swift-openapi-hummingbird passes handlers
/// only `(HTTPRequest, HTTPBody?, ServerRequestMetadata)`, never the Hummingbird context.
public struct Principal: Sendable {
    public enum Credential: Sendable {
        case apiKey(APIKey)
        case clientCertificate(commonName: String)
    }

    public var credential: Credential
    public var scopes: Set<APIScope>

    public init(credential: Credential, scopes: Set<APIScope>) {
        self.credential = credential
        self.scopes = scopes
    }

    /// The key id, or `cert:<common name>`, for logs, ledgers and the audit log.
    public var name: String {
        switch credential {
        case let .apiKey(key): key.id
        case let .clientCertificate(commonName): "cert:" + commonName
        }
    }

    /// The authenticated caller of the current request (set by `AuthenticationMiddleware`).
    @TaskLocal public static var current: Principal?
}

/// The request id of the current request, for handlers that build an `ErrorResponse` themselves.
public enum RequestIdentity {
    @TaskLocal public static var current: String = "-"
}
