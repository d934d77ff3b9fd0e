import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// A `fedtop hospital` process's gRPC server: ``HospitalService`` on HTTP/2 over NIO, with mutual TLS
/// (``secure(service:credentials:host:port:onRefused:)``) or, for loopback demos only, plaintext
/// (``insecure(service:host:port:)``).
///
/// Contract:
/// - ``start()`` binds and returns the port actually bound (port 0 picks a free one), or fails naming
///   the address; ``stop()`` stops accepting, lets calls in flight finish, ends the Status streams;
///   ``wait()`` blocks until the server has stopped.
/// - Limits of the transport itself (``limit(_:_:_:)``): a message of at most ``maxMessageBytes`` (a
///   model chunk is 1 MiB), 16 concurrent streams per connection, keepalive (a peer that stops
///   answering pings is dropped after 20 s; client pings every 5 s or more are accepted without calls
///   in flight). Bytes that are not TLS, HTTP/2 or the protocol close that connection only.
/// - Plaintext is refused unless the address is loopback (``isLoopback(_:)``).
public final class HospitalServer: @unchecked Sendable {
    public static let maxMessageBytes = FloatChunks.maxChunkBytes + (256 << 10)

    private let service: HospitalService
    private let host: String
    private let requestedPort: Int
    private let serveOperation: @Sendable () async throws -> Void
    private let boundPort: @Sendable () async throws -> Int?
    private let beginShutdown: @Sendable () -> Void
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: (any Error)?

    private init<T: ServerTransport>(service: HospitalService, transport: T, host: String, port: Int,
                                     boundPort: @escaping @Sendable (T) async throws -> Int?) {
        let server = GRPCServer(transport: transport, services: [service])
        self.service = service
        self.host = host
        requestedPort = port
        serveOperation = { try await server.serve() }
        self.boundPort = { try await boundPort(transport) }
        beginShutdown = { server.beginGracefulShutdown() }
    }

    /// Mutual TLS 1.3 with the hospital's credentials (``HospitalCredentials/makeServerTransport(host:port:config:eventLoopGroup:onRefused:)``):
    /// only the federation's console is answered; every refused handshake is told to `onRefused`.
    public static func secure(service: HospitalService, credentials: HospitalCredentials, host: String, port: Int,
                              onRefused: @escaping @Sendable (String) -> Void) throws(TransportError) -> HospitalServer {
        var config = HTTP2ServerTransport.Custom<HospitalTLSListener>.Config.defaults
        limit(&config.rpc, &config.http2, &config.connection)
        let transport: HTTP2ServerTransport.Custom<HospitalTLSListener>
        do {
            transport = try credentials.makeServerTransport(host: host == "localhost" ? "127.0.0.1" : host, port: port,
                                                            config: config, onRefused: onRefused)
        } catch {
            throw TransportError("TLS cannot be set up with the credentials in \(credentials.folder): \(error)")
        }
        return HospitalServer(service: service, transport: transport, host: host, port: port) { t in
            let address = await t.listeningAddress
            return address?.ipv4?.port ?? address?.ipv6?.port
        }
    }

    /// Plaintext HTTP/2 on a loopback address: `--insecure` demos. Refused on any other address.
    public static func insecure(service: HospitalService, host: String, port: Int) throws(TransportError) -> HospitalServer {
        guard isLoopback(host) else {
            throw TransportError("--insecure is for loopback demos only; \(host) is not a loopback address (127.0.0.1, ::1, localhost)")
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        limit(&config.rpc, &config.http2, &config.connection)
        let transport = HTTP2ServerTransport.Posix(address: socketAddress(host: host, port: port), transportSecurity: .plaintext,
                                                   config: config)
        return HospitalServer(service: service, transport: transport, host: host, port: port) { t in
            let address = try await t.listeningAddress
            return address.ipv4?.port ?? address.ipv6?.port
        }
    }

    /// The transport's own limits, the same for TLS and plaintext.
    static func limit(_ rpc: inout HTTP2ServerTransport.Config.RPC, _ http2: inout HTTP2ServerTransport.Config.HTTP2,
                      _ connection: inout HTTP2ServerTransport.Config.Connection) {
        rpc.maxRequestPayloadSize = maxMessageBytes
        http2.maxConcurrentStreams = 16
        // An 8 MiB flow-control window, as the console's: with HTTP/2's default 64 KiB the sender waits
        // for a window update every 64 KiB and a model crawls at ~85 MB/s (`fedtop bench transport`).
        http2.targetWindowSize = 8 << 20
        connection.keepalive = .init(time: .seconds(10), timeout: .seconds(10),
                                     clientBehavior: .init(minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true))
    }

    static func socketAddress(host: String, port: Int) -> GRPCNIOTransportCore.SocketAddress {
        host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host == "localhost" ? "127.0.0.1" : host, port: port)
    }

    /// Whether `host` is a loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Starts serving; returns the bound port.
    public func start() throws(TransportError) -> Int {
        let serve = serveOperation
        Task {
            do { try await serve() } catch { self.lock.withLock { self.failure = error } }
            self.finished.signal()
        }
        let boundPort = self.boundPort
        do {
            if let port = try Blocking.run({ try await boundPort() }) { return port }
            throw TransportError("the server stopped before it was listening")
        } catch {
            let reason = lock.withLock { failure }.map { "\($0)" } ?? "\(error)"
            throw TransportError("cannot listen on \(host):\(requestedPort): \(reason)")
        }
    }

    /// Stops accepting calls; calls in flight finish.
    public func stop() {
        service.shutdown()
        beginShutdown()
    }

    /// Blocks until the server has stopped; returns the error it stopped with, if any.
    @discardableResult
    public func wait() -> (any Error)? {
        finished.wait()
        finished.signal()
        return lock.withLock { failure }
    }
}
