import Foundation
import HTTPTypes
import Hummingbird
import ServingAPI

public typealias ErrorCode = Components.Schemas.ErrorCode
public typealias ErrorResponse = Components.Schemas.ErrorResponse

/// A refusal thrown by a middleware (or a handler); `ErrorResponderMiddleware` turns it into an `ErrorResponse`.
public struct ServeRefusal: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: ErrorCode
    public var headers: HTTPFields
    /// The first refused record's index (422).
    public var record: Int32?
    /// For the server's own log only (never sent).
    public var detail: String?

    public init(_ status: HTTPResponse.Status, _ code: ErrorCode, headers: HTTPFields = [:], record: Int32? = nil, detail: String? = nil) {
        self.status = status
        self.code = code
        self.headers = headers
        self.record = record
        self.detail = detail
    }

    public static let unauthenticated = ServeRefusal(.unauthorized, .unauthenticated)
    public static let forbidden = ServeRefusal(.forbidden, .forbidden)
    public static let bodyTooLarge = ServeRefusal(.contentTooLarge, .bodyTooLarge)
}

extension ErrorCode {
    /// Fixed per code; never echoes input, paths or internals.
    public var genericMessage: String {
        switch self {
        case .badRequest: "The request body is not JSON of the documented form."
        case .unsupportedMediaType: "The request body must be application/json."
        case .unauthenticated: "Valid credentials are required."
        case .forbidden: "The credentials do not allow this route."
        case .rateLimited: "Too many requests; retry later."
        case .bodyTooLarge: "The request body is too large."
        case .batchTooLarge: "Too many records in one request."
        case .badShape: "A record does not have the model's feature count."
        case .nonFinite: "A value is not a finite number."
        case .outOfRange: "A value is out of the accepted range."
        case .spongeInput: "A record was refused by the input policy."
        case .budgetExhausted: "The key's privacy budget does not cover this request."
        case .deadlineExceeded: "The request took too long."
        case .overloaded: "The server is busy; retry later."
        case .unavailable: "The server is unavailable; retry later."
        case .notFound: "No such route."
        case .methodNotAllowed: "The route does not take this method."
        case ._internal: "Internal error."
        }
    }

    /// The code for a status that arrived without one (OpenAPI runtime errors, Hummingbird's `HTTPError`s).
    public static func forStatus(_ status: HTTPResponse.Status) -> ErrorCode {
        switch status.code {
        case 400, 406: .badRequest  // 406 (Accept mismatch) has no code of its own in the contract
        case 401: .unauthenticated
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 413: .bodyTooLarge
        case 415: .unsupportedMediaType
        case 429: .rateLimited
        case 503: .unavailable
        default: ._internal
        }
    }
}

extension ErrorResponse {
    public init(_ code: ErrorCode, requestID: String, record: Int32? = nil) {
        self.init(code: code, message: code.genericMessage, requestId: requestID, record: record)
    }
}

enum JSONErrorBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(
        status: HTTPResponse.Status,
        code: ErrorCode,
        requestID: String,
        headers: HTTPFields = [:],
        record: Int32? = nil
    ) -> Response {
        RequestRecord.current?.set(decision: code.rawValue)
        let body = ErrorResponse(code, requestID: requestID, record: record)
        // Encoding this fixed-shape value cannot fail; fall back to a constant just in case.
        let data = (try? encoder.encode(body)) ?? Data(#"{"code":"internal","message":"Internal error.","requestId":"-"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
