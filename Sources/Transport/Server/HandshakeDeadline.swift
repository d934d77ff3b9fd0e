import NIOCore
import NIOSSL
import NIOTLS

/// Guards the start of every connection to a hospital, so a peer can hold none of its sockets and no
/// refused peer goes unlogged:
/// - the TLS handshake must complete within `seconds` of the connection opening;
/// - then the client's HTTP/2 connection preface and its first SETTINGS frame (RFC 9113 §3.4) must
///   arrive within `seconds` of the handshake (an authenticated peer that sends half a preface is
///   closed, not left to HTTP/2's own idle timers);
/// - a handshake that fails is reported with its reason through `onRefused` (no client certificate,
///   TLS 1.2 or older, not TLS at all); certificate refusals are reported by
///   ``FederationPeerVerifier`` itself, once.
///
/// Installed right after the TLS handler on every accepted connection; once the preface is in, it
/// only passes bytes on (HTTP/2 keepalive and the call limits take over).
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let seconds: Int64
    private var timer: Scheduled<Void>?
    private let onRefused: @Sendable (String) -> Void
    private var peer = "an unknown peer"
    private var handshakeDone = false
    private var prefaceDone = false
    /// The first bytes after the handshake, until the SETTINGS frame's length is known.
    private var head: [UInt8] = []
    private var received = 0

    /// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", then a 9-byte frame header.
    static let prefaceBytes = 24

    init(seconds: Int64 = 10, onExpired: @escaping @Sendable (String) -> Void) {
        self.seconds = seconds
        onRefused = onExpired
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.map { "\($0)" } ?? peer
        arm(context, "no TLS handshake within \(seconds) s")
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            handshakeDone = true
            arm(context, "no HTTP/2 preface and SETTINGS within \(seconds) s of the TLS handshake")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if handshakeDone, !prefaceDone {
            let buffer = unwrapInboundIn(data)
            received += buffer.readableBytes
            let wanted = Self.prefaceBytes + 9
            if head.count < wanted { head += buffer.readableBytesView.prefix(wanted - head.count) }
            if head.count == wanted {
                let length = Int(head[24]) << 16 | Int(head[25]) << 8 | Int(head[26])
                if received >= wanted + length {
                    prefaceDone = true
                    disarm()
                }
            }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone, let reason = Self.refusal(error) {
            onRefused("refused the TLS handshake from \(peer): \(reason)")
        }
        context.fireErrorCaught(error)
    }

    /// Why a handshake failed, in words for the log; nil when the verifier has already said it.
    static func refusal(_ error: any Error) -> String? {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return nil }
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") { return "the client sent no certificate (mutual TLS is required)" }
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("WRONG_VERSION") || text.contains("TLSV1_ALERT_PROTOCOL_VERSION") {
            return "the client offered only TLS 1.2 or older (TLS 1.3 is required)"
        }
        return "\(text.prefix(300))"
    }

    private func arm(_ context: ChannelHandlerContext, _ reason: String) {
        disarm()
        let channel = context.channel, onRefused = self.onRefused, peer = self.peer
        timer = context.eventLoop.scheduleTask(in: .seconds(seconds)) {
            onRefused("closed the connection from \(peer): \(reason)")
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
