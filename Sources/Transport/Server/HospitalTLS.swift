import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix
import NIOSSL

/// The hospital's side of mutual TLS: the server TLS configuration and the gRPC server transport
/// that uses it.
///
/// What is enforced, on every accepted connection, before any gRPC byte is read:
/// - **TLS 1.3 only** (BoringSSL's minimum and maximum version both 1.3): a TLS 1.2 client fails
///   the handshake with a protocol_version alert. grpc-swift-nio-transport 2.9.2's
///   `HTTP2ServerTransport.Posix` fixes the minimum at TLS 1.2 and exposes no NIOSSL
///   `TLSConfiguration`, so the hospital uses the transport's public `HTTP2ServerTransport.Custom`
///   with its own listener (``HospitalTLSListener``), which builds the `NIOSSLContext` itself.
///   Cipher suites are BoringSSL's TLS 1.3 set (AES-GCM, ChaCha20-Poly1305), with ECDHE.
/// - **A client certificate is required** (`SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`):
///   a client without one fails the handshake.
/// - **The client must be the console**: its chain is verified by ``FederationPeerVerifier`` with
///   ``AcceptedPeer/console``: issued by the federation CA in the hospital's folder (the only trust
///   root), valid now, `CN=console` with extendedKeyUsage clientAuth. A hospital's certificate
///   from the same CA, a certificate from another CA, an expired one: the handshake fails, and
///   the reason goes to `onRefused` (the local log), never to the peer.
/// - **ALPN `h2`** (or `grpc-exp`) is required: a client that negotiates no protocol is closed.
/// - The server presents `<name>.pem` (issued by the CA) with `<name>.key`.
extension HospitalCredentials {
    /// The NIOSSL configuration of the hospital's TLS server. The client's certificate is verified
    /// by ``FederationPeerVerifier`` (give it to `NIOSSLServerHandler` as its custom verification
    /// callback; ``makeServerTransport(host:port:config:eventLoopGroup:onRefused:)`` does).
    public func serverTLSConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(identity.nioCertificate)],
            privateKey: .privateKey(identity.nioPrivateKey))
        configuration.certificateVerification = .noHostnameVerification
        return identity.federationPolicy(configuration)
    }

    /// The verifier of clients: only the console.
    public func clientVerifier(onRefused: @escaping @Sendable (String) -> Void = { _ in }) -> FederationPeerVerifier {
        FederationPeerVerifier(authority: identity.authority, accepting: .console, onRefused: onRefused)
    }

    /// The gRPC server transport of this hospital: listens on `host:port` (port 0 picks a free one;
    /// read it from the transport's `listeningAddress` once serving) with mutual TLS as the
    /// extension's doc says. Hand it to `GRPCServer(transport:services:)`.
    /// - Parameters:
    ///   - config: limits and HTTP/2 settings (`rpc.maxRequestPayloadSize`, keepalive, ...).
    ///   - deadlineSeconds: the TLS handshake, then the HTTP/2 preface and SETTINGS, must each arrive within this.
    ///   - onRefused: told, with the reason, of every client refused in the handshake or closed by a deadline.
    /// - Throws: `NIOSSLError` if BoringSSL refuses the configuration (not expected with a folder
    ///   that loaded).
    public func makeServerTransport(
        host: String, port: Int,
        config: HTTP2ServerTransport.Custom<HospitalTLSListener>.Config = .defaults,
        eventLoopGroup: MultiThreadedEventLoopGroup = .singletonMultiThreadedEventLoopGroup,
        deadlineSeconds: Int64 = 10,
        onRefused: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> HTTP2ServerTransport.Custom<HospitalTLSListener> {
        let listener = HospitalTLSListener(
            host: host, port: port, context: try NIOSSLContext(configuration: serverTLSConfiguration()),
            verifier: clientVerifier(onRefused: onRefused), eventLoopGroup: eventLoopGroup, handshakeSeconds: deadlineSeconds,
            onStalled: onRefused)
        return HTTP2ServerTransport.Custom(listenerFactory: listener, config: config)
    }
}

/// The listening socket of a hospital's gRPC server: TCP on `host:port`, each accepted connection
/// given a `NIOSSLServerHandler` (TLS 1.3, the console only, see ``HospitalCredentials``) before
/// the transport's HTTP/2 and gRPC handlers.
public struct HospitalTLSListener: HTTP2ServerTransport.ListenerFactory {
    /// The address to listen on.
    public let host: String
    /// The port (0: any free one).
    public let port: Int
    /// The event loops of the listener and its connections.
    public var eventLoopGroup: any EventLoopGroup { group }

    private let context: NIOSSLContext
    private let verifier: FederationPeerVerifier
    private let group: MultiThreadedEventLoopGroup
    /// A connection whose TLS handshake (then HTTP/2 preface) is not done this many seconds after it
    /// opened (then after the handshake) is closed.
    private let handshakeSeconds: Int64
    private let onStalled: @Sendable (String) -> Void

    init(host: String, port: Int, context: NIOSSLContext, verifier: FederationPeerVerifier,
         eventLoopGroup: MultiThreadedEventLoopGroup, handshakeSeconds: Int64 = 10,
         onStalled: @escaping @Sendable (String) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.context = context
        self.verifier = verifier
        group = eventLoopGroup
        self.handshakeSeconds = handshakeSeconds
        self.onStalled = onStalled
    }

    public func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let context = context, verifier = verifier, handshakeSeconds = handshakeSeconds, onStalled = onStalled
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in listenerConfigurator.configure(channel: channel) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: verifier.verify)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(seconds: handshakeSeconds, onExpired: onStalled))
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: true))
                }
            }
    }
}
