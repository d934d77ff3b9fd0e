import HTTPTypes
import Hummingbird
import NIOCore

/// Innermost middleware: turns a response body of known length (every answer the generated server code
/// builds; it encodes the JSON in full before answering) into one buffer, so that Hummingbird writes the
/// head, the body and the end in one batched write — one flush and one `write(2)` — instead of three.
/// On a small answer such as the WDBC MLP's that was an eighth of the server's time.
///
/// Contract: the bytes, status and headers are unchanged. A body of unknown length or longer than
/// `maxBytes` streams as before, and an empty one is left as it is. Trailing headers are not carried (no route of this API sends any).
public struct SingleWriteResponseMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let maxBytes: Int

    public init(maxBytes: Int = 1 << 20) {
        self.maxBytes = maxBytes
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        guard let length = response.body.contentLength, length > 0, length <= maxBytes else { return response }
        let collector = BodyCollector(capacity: length)
        let body = response.body
        try await body.write(collector)
        response.body = ResponseBody(byteBuffer: collector.buffer)
        return response
    }
}

/// Collects a response body's buffers.
private final class BodyCollector: ResponseBodyWriter {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
