import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// A `fedtop hospital` process's gRPC server: ``HospitalService`` on HTTP/2 over NIO, with mutual TLS.
///
/// Contract:
/// - ``start()`` binds and returns the port actually bound (port 0 picks a free one), or fails naming
///   the address; ``stop()`` stops accepting, lets calls in flight finish, ends the Status streams;
///   ``wait()`` blocks until the server has stopped.
/// - Limits of the transport itself: a message of at most ``maxMessageBytes`` (a model chunk is 1 MiB),
///   16 concurrent streams per connection, keepalive pings (a peer that stops answering is dropped
///   after 20 s; client pings every 5 s or more are accepted without calls in flight). Bytes that are
///   not HTTP/2, or not the protocol, close that connection only: other peers go on.
/// - `--insecure` (plaintext) is refused unless the address is loopback (``isLoopback(_:)``).
public final class HospitalServer: @unchecked Sendable {
    public static let maxMessageBytes = FloatChunks.maxChunkBytes + (256 << 10)

    private let service: HospitalService
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let host: String
    private let requestedPort: Int
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var serving: Task<Void, Never>?
    private var failure: (any Error)?

    /// - Parameters:
    ///   - security: mutual TLS with the federation's certificates, or `.plaintext` (loopback only).
    ///   - configure: further transport settings (the TLS 1.3 guard of ``FederationTLS``).
    public init(service: HospitalService, host: String, port: Int, security: HTTP2ServerTransport.Posix.TransportSecurity,
                plaintext: Bool, configure: ((inout HTTP2ServerTransport.Posix.Config) -> Void)? = nil) throws(TransportError) {
        if plaintext, !Self.isLoopback(host) {
            throw TransportError("--insecure is for loopback demos only; \(host) is not a loopback address (127.0.0.1, ::1, localhost)")
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = Self.maxMessageBytes
        config.http2.maxConcurrentStreams = 16
        config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(10),
                                            clientBehavior: .init(minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true))
        configure?(&config)
        let address: GRPCNIOTransportCore.SocketAddress = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host == "localhost" ? "127.0.0.1" : host, port: port)
        let transport = HTTP2ServerTransport.Posix(address: address, transportSecurity: security, config: config)
        self.service = service
        self.host = host
        requestedPort = port
        server = GRPCServer(transport: transport, services: [service])
    }

    /// Whether `host` is a loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Starts serving; returns the bound port.
    public func start() throws(TransportError) -> Int {
        let server = self.server
        let task = Task {
            do { try await server.serve() } catch { self.lock.withLock { self.failure = error } }
            self.finished.signal()
        }
        lock.withLock { serving = task }
        do {
            let address = try RemoteHospital.blocking { try await server.listeningAddress }
            if let port = address?.ipv4?.port ?? address?.ipv6?.port { return port }
            throw TransportError("no address")
        } catch {
            let reason = lock.withLock { failure }.map { "\($0)" } ?? "\(error)"
            throw TransportError("cannot listen on \(host):\(requestedPort): \(reason)")
        }
    }

    /// Stops accepting calls; calls in flight finish.
    public func stop() {
        service.shutdown()
        server.beginGracefulShutdown()
    }

    /// Blocks until the server has stopped; returns the error it stopped with, if any.
    @discardableResult
    public func wait() -> (any Error)? {
        finished.wait()
        finished.signal()
        return lock.withLock { failure }
    }
}
