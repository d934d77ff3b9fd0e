import Hummingbird
import NIOCore
import NIOSSL

/// The per-request context. Hummingbird builds it from an `ApplicationRequestContextSource`, whose `channel` is
/// the connection's channel under HTTP/1.1 and the *stream* channel under HTTP/2 (its `parent` is the connection,
/// which holds the `NIOSSLHandler`).
public struct ServeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The channel the request came on (see above). Kept to read TLS facts off its pipeline.
    public let channel: any Channel
    /// The peer's address: `Channel.remoteAddress` is a cached, thread-safe property (the stream channel of HTTP/2
    /// answers its parent's). `nil` under HummingbirdTesting's `.router` (a `NIOAsyncTestingChannel`).
    public let remoteAddress: SocketAddress?
    /// Set by `RequestIdentityMiddleware`.
    public var requestID: String = "-"
    /// Set by `PeerCertificateMiddleware` (TLS only): the leaf the peer presented, verified by BoringSSL against
    /// `TLSConfiguration.trustRoots` (`.optionalVerification` or `.noHostnameVerification`).
    public var peerCertificate: NIOSSLCertificate?
    /// Set by `PeerCertificateMiddleware`: NIOSSL's validated chain. Always `nil` with Hummingbird's TLS channels
    /// (they install `NIOSSLServerHandler(context:customVerificationCallback:configuration:)`, and the chain is only
    /// recorded by the `customVerificationCallbackWithMetadata` variant).
    public var peerValidatedChain: ValidatedCertificateChain?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.remoteAddress = source.channel.remoteAddress
    }
}
