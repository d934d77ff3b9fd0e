import Foundation

/// One request and its answer, as `fedtop audit serve` sees the served API from outside.
public struct ServeExchange: Sendable {
    public var status: Int
    /// `Retry-After`, in seconds, when the server sent one.
    public var retryAfter: Int?
    public var body: [UInt8]
    /// From sending the request to the end of the answer.
    public var seconds: Double

    public init(status: Int, retryAfter: Int?, body: [UInt8], seconds: Double) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
        self.seconds = seconds
    }

    /// The refusal's `code` (the API's ErrorResponse), or nil.
    public var code: String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["code"] as? String
    }
}

/// What the API audit needs from an HTTP client: one request at a time, the status, `Retry-After`
/// and body back. `fedtop audit serve` gives an AsyncHTTPClient over TLS (or plain HTTP on loopback);
/// tests may give their own.
///
/// Contract: `token`, when given, is sent as `Authorization: Bearer <token>`; a `body` is sent as
/// `application/json`. Errors are transport failures only: every HTTP status is an answer.
public protocol ServeAttackClient: Sendable {
    func send(method: String, path: String, token: String?, body: [UInt8]?) async throws -> ServeExchange
}
