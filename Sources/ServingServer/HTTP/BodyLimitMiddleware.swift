import Hummingbird
import NIOCore

/// Refuses bodies over `maxBytes` with 413: at once from `Content-Length`, else while collecting the stream
/// (`Request.collectBody(upTo:)` throws `NIOTooManyBytesError`). The collected body is put back on the request, so
/// swift-openapi-hummingbird reads the buffer.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let maxBytes: Int

    public init(maxBytes: Int) { self.maxBytes = maxBytes }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBytes {
            throw ServeRefusal.bodyTooLarge
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw ServeRefusal.bodyTooLarge
        }
        return try await next(request, context)
    }
}
