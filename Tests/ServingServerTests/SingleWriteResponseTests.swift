import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServingServer
import Testing

@Suite("Answers leave in one write: a known-length body is collected into one buffer, byte for byte")
struct SingleWriteResponseTests {
    /// Outside the middleware under test: writes the response body into a counter and puts the same bytes back.
    struct WriteCounter: RouterMiddleware {
        typealias Context = ServeRequestContext
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var response = try await next(request, context)
            let recorder = Recorder()
            let body = response.body, length = body.contentLength
            try await body.write(recorder)
            response.headers[HTTPField.Name("X-Writes")!] = String(recorder.writes)
            response.headers[HTTPField.Name("X-Length")!] = length.map(String.init) ?? "unknown"
            response.body = ResponseBody(byteBuffer: recorder.bytes)
            return response
        }
    }

    final class Recorder: ResponseBodyWriter {
        var writes = 0
        var bytes = ByteBuffer()
        func write(_ part: ByteBuffer) async throws {
            writes += 1
            var part = part
            bytes.writeBuffer(&part)
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static let parts = ["{\"a\":", "[1,2,3]", ",\"b\":\"x\"}"]

    func router(maxBytes: Int) -> Router<ServeRequestContext> {
        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: WriteCounter())
        router.add(middleware: SingleWriteResponseMiddleware(maxBytes: maxBytes))
        let buffers = Self.parts.map { ByteBuffer(string: $0) }
        router.get("/known") { _, _ in
            Response(status: .ok, body: ResponseBody(contentLength: buffers.map(\.readableBytes).reduce(0, +)) { writer in
                for b in buffers { try await writer.write(b) }
                try await writer.finish(nil)
            })
        }
        router.get("/unknown") { _, _ in
            Response(status: .accepted, body: ResponseBody(asyncSequence: buffers.async))
        }
        return router
    }

    @Test("a known length within the bound: one write, the same bytes, status and length")
    func collected() async throws {
        try await Application(router: router(maxBytes: 1 << 20)).test(.router) { client in
            let r = try await client.execute(uri: "/known", method: .get)
            #expect(r.status == .ok)
            #expect(String(buffer: r.body) == Self.parts.joined())
            #expect(r.headers[HTTPField.Name("X-Writes")!] == "1")
            #expect(r.headers[HTTPField.Name("X-Length")!] == String(Self.parts.joined().utf8.count))
        }
    }

    @Test("an unknown length, or one over the bound, streams as it came")
    func leftAlone() async throws {
        try await Application(router: router(maxBytes: 8)).test(.router) { client in
            for (path, status) in [("/known", HTTPResponse.Status.ok), ("/unknown", .accepted)] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == status)
                #expect(String(buffer: r.body) == Self.parts.joined())
                #expect(r.headers[HTTPField.Name("X-Writes")!] == "3", "\(path)")
            }
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an AsyncSequence.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for e in self { continuation.yield(e) }
            continuation.finish()
        }
    }
}
