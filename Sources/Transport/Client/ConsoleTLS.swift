import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix
import NIOSSL

/// The console's side of mutual TLS: the client TLS configuration and the gRPC client transport
/// to one hospital that uses it.
///
/// What is enforced on every connection, before any gRPC byte is sent:
/// - **TLS 1.3 only** (minimum and maximum): a hospital offering only TLS 1.2 fails the handshake.
///   grpc-swift-nio-transport 2.9.2's TLS option for `HTTP2ClientTransport.Posix` fixes the minimum
///   at TLS 1.2, so the transport is made with its `.customSecure` security, and the
///   `NIOSSLClientHandler` (this configuration) is put first in each connection's pipeline by the
///   transport's `onCreateTCPConnection` hook; the transport treats the connection as `https`.
/// - **The server must be a hospital of this federation**: its chain is verified by
///   ``FederationPeerVerifier`` with the CA of the console's folder as the only trust root, valid
///   now, extendedKeyUsage serverAuth, a hospital's name as common name (never `console`) and, when
///   the operator named the hospital, that name;
/// - **the address is checked**: the host the console connects to (DNS name or IP literal) must be
///   among the certificate's subject alternative names (RFC 6125); SNI carries a DNS name (never an IP).
/// - The console presents `console.pem` with `console.key`; ALPN offers `grpc-exp` and `h2`.
/// A refused server fails the handshake and the reason goes to `onRefused` (the console's log).
extension ConsoleCredentials {
    /// The NIOSSL configuration of the console's TLS client. The server's certificate is verified
    /// by ``FederationPeerVerifier`` (the custom verification callback of `NIOSSLClientHandler`;
    /// ``makeClientTransport(host:port:expectedHospital:config:eventLoopGroup:onRefused:)`` sets it).
    public func clientTLSConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = [.certificate(identity.nioCertificate)]
        configuration.privateKey = .privateKey(identity.nioPrivateKey)
        configuration.certificateVerification = .fullVerification
        return identity.federationPolicy(configuration)
    }

    /// The verifier of a hospital reached at `host` (DNS name or IP literal), pinned to
    /// `expectedHospital` when given.
    public func serverVerifier(host: String, expectedHospital: String? = nil,
                               onRefused: @escaping @Sendable (String) -> Void = { _ in }) -> FederationPeerVerifier {
        FederationPeerVerifier(authority: identity.authority, accepting: .hospital(expectedName: expectedHospital),
                               serverAddress: Self.bare(host), onRefused: onRefused)
    }

    /// A `NIOSSLClientHandler` for one connection to `host`: this configuration, the server verified
    /// by `verifier`, SNI set to `host` unless it is an IP address.
    public func makeClientHandler(context: NIOSSLContext, host: String,
                                  verifier: FederationPeerVerifier) throws -> NIOSSLClientHandler {
        let host = Self.bare(host)
        return try NIOSSLClientHandler(context: context, serverHostname: HostName.isIPAddress(host) ? nil : host,
                                       customVerificationCallbackWithMetadata: verifier.verify)
    }

    /// The gRPC client transport to the hospital at `host:port` (a DNS name, an IPv4 or an IPv6
    /// literal, brackets allowed), with mutual TLS as the extension's doc says. Hand it to
    /// `GRPCClient(transport:)`.
    /// - Parameters:
    ///   - expectedHospital: the hospital's name when the operator gave one: any other hospital of
    ///     the federation is refused.
    ///   - config: HTTP/2, back-off, keepalive settings; an `onCreateTCPConnection` set in it still
    ///     runs, after the TLS handler is in place.
    ///   - onRefused: told, with the reason, of every server refused in the handshake.
    /// - Throws: `NIOSSLError` if BoringSSL refuses the configuration, or the transport's error if
    ///   the target cannot be resolved.
    public func makeClientTransport(
        host: String, port: Int, expectedHospital: String? = nil,
        config: HTTP2ClientTransport.Posix.Config = .defaults,
        eventLoopGroup: any EventLoopGroup = .singletonMultiThreadedEventLoopGroup,
        onRefused: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> HTTP2ClientTransport.Posix {
        let host = Self.bare(host)
        let context = try NIOSSLContext(configuration: clientTLSConfiguration())
        let verifier = serverVerifier(host: host, expectedHospital: expectedHospital, onRefused: onRefused)
        var config = config
        let next = config.channelDebuggingCallbacks.onCreateTCPConnection
        let credentials = self
        config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
            let secured = channel.eventLoop.makeCompletedFuture {
                let handler = try credentials.makeClientHandler(context: context, host: host, verifier: verifier)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }
            guard let next else { return secured }
            return secured.flatMap { next(channel) }
        }
        let target: any ResolvableTarget
        if HostName.ipBytes(host)?.count == 4 {
            target = ResolvableTargets.IPv4.ipv4(address: host, port: port)
        } else if HostName.ipBytes(host)?.count == 16 {
            target = ResolvableTargets.IPv6.ipv6(address: host, port: port)
        } else {
            target = ResolvableTargets.DNS.dns(host: host, port: port)
        }
        return try HTTP2ClientTransport.Posix(target: target, transportSecurity: .customSecure, config: config,
                                              eventLoopGroup: eventLoopGroup)
    }

    /// `host` without the brackets of an IPv6 literal.
    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
