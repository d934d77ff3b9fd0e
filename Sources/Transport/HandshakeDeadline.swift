import NIOCore
import NIOTLS

/// Closes a connection whose TLS handshake has not completed within a deadline, so a peer that
/// connects and sends nothing (or bytes that are not TLS, slowly) cannot hold a hospital's sockets.
/// Installed after the TLS handler on every accepted connection; once the handshake completes it
/// does nothing more (HTTP/2 keepalive and the call limits take over).
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let seconds: Int64
    private var timer: Scheduled<Void>?
    private let onExpired: @Sendable (String) -> Void

    init(seconds: Int64 = 10, onExpired: @escaping @Sendable (String) -> Void) {
        self.seconds = seconds
        self.onExpired = onExpired
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let onExpired = self.onExpired, seconds = self.seconds
        let peer = channel.remoteAddress.map { "\($0)" } ?? "an unknown peer"
        timer = context.eventLoop.scheduleTask(in: .seconds(seconds)) {
            onExpired("closed the connection from \(peer): no TLS handshake within \(seconds) s")
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            timer?.cancel()
            timer = nil
        }
        context.fireUserInboundEventTriggered(event)
    }
}
