import Hummingbird
import NIOCore

/// Refuses bodies over `maxBytes` with 413: at once from `Content-Length`, else while collecting the stream
/// (`Request.collectBody(upTo:)` throws `NIOTooManyBytesError`). The collected body is put back on the request, so
/// swift-openapi-hummingbird reads the buffer. A body still arriving at the request's deadline (counted from
/// its head, ``RequestRecord``) is refused with 503 `deadline_exceeded`: a client trickling its body holds a
/// request slot no longer than any other request.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let maxBytes: Int
    let deadlineMilliseconds: Int

    public init(maxBytes: Int, deadlineMilliseconds: Int = ServeLimits().deadlineMilliseconds) {
        self.maxBytes = maxBytes
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBytes {
            throw ServeRefusal.bodyTooLarge
        }
        let remaining = Double(deadlineMilliseconds) - (RequestRecord.current?.elapsedMilliseconds ?? 0)
        let maxBytes = self.maxBytes, loop = context.channel.eventLoop
        let collected: Request?
        do {
            collected = try await withThrowingTaskGroup(of: Request?.self) { group in
                group.addTask {
                    var request = request
                    _ = try await request.collectBody(upTo: maxBytes)
                    return request
                }
                group.addTask {
                    // The deadline on the connection's event loop (a NIO timer is an entry in that loop's
                    // queue; Task.sleep would arm a Dispatch timer and wake its manager thread per request).
                    let timer = loop.scheduleTask(in: .nanoseconds(Int64(max(0, remaining) * 1e6))) {}
                    do {
                        try await withTaskCancellationHandler {
                            try await timer.futureResult.get()
                        } onCancel: {
                            timer.cancel()
                        }
                    } catch {
                        // Cancelled (the body came first) or the loop shutting down: not the request's error.
                        throw CancellationError()
                    }
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch is NIOTooManyBytesError {
            throw ServeRefusal.bodyTooLarge
        }
        guard let collected else { throw ServeRefusal(.serviceUnavailable, .deadlineExceeded, headers: [.retryAfter: "1"]) }
        return try await next(collected, context)
    }
}
