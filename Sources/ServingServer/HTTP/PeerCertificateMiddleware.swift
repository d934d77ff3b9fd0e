import Hummingbird
import NIOCore
import NIOSSL

/// TLS only: reads the peer's certificate off the channel's `NIOSSLHandler`.
///
/// Under HTTP/1.1 the request's `channel` is the TCP connection, which holds the handler; under HTTP/2 it is the
/// stream channel, whose `parent` holds it. `Channel.nioSSL_peerCertificate()` returns an `EventLoopFuture` (it
/// hops to the channel's event loop), so this runs in a middleware, not in the context's synchronous `init`.
public struct PeerCertificateMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        for channel in [context.channel, context.channel.parent].compactMap({ $0 }) {
            // Fails with ChannelPipelineError.notFound where there is no NIOSSLHandler (the stream channel).
            if let certificate = try? await channel.nioSSL_peerCertificate().get() {
                context.peerCertificate = certificate
                context.peerValidatedChain = try? await channel.nioSSL_peerValidatedCertificateChain().get()
                break
            }
        }
        return try await next(request, context)
    }
}
