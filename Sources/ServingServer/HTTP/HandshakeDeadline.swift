import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// A connection must finish its TLS handshake within `timeout` or it is closed: a client that opens
/// sockets and then says nothing (or trickles a ClientHello) holds no connection for longer than
/// that. Wraps the server's child channel (``ServeApplication``); the HTTP idle timeouts take over
/// once the handshake is done.
///
/// Contract: the deadline starts when the connection is set up; `TLSUserEvent.handshakeCompleted`
/// cancels it; at the deadline the connection is closed (nothing is written to it). A channel without
/// a TLS handler (plain HTTP) is left alone.
struct HandshakeDeadlineChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            // After the TLS handler: it fires its handshake event towards the application.
            if let tls = try? operations.handler(type: NIOSSLServerHandler.self) {
                try operations.addHandler(HandshakeDeadlineHandler(timeout: timeout), position: .after(tls))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}

/// Closes its channel unless the TLS handshake completes within `timeout`.
final class HandshakeDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)  // first: the ALPN handler after us waits for it
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
