import Foundation
import Hummingbird
import HummingbirdCore  // HTTPServerBuilder is not re-exported by Hummingbird
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OpenAPIHummingbird
import OpenAPIRuntime
import Serving

/// Everything a running server is made of, assembled once at start.
public struct ServeSettings: Sendable {
    /// nil: plain HTTP/1.1 (`--insecure`, loopback only). Otherwise TLS ≥ 1.2 with ALPN h2 + http/1.1.
    public var tls: TLSConfiguration?
    public var host: String
    public var port: Int
    public var limits: ServeLimits
    /// nil: CORS off (no CORS header on any response).
    public var cors: CORSPolicy?

    public init(tls: TLSConfiguration?, host: String, port: Int, limits: ServeLimits = ServeLimits(), cors: CORSPolicy? = nil) {
        self.tls = tls
        self.host = host
        self.port = port
        self.limits = limits
        self.cors = cors
    }

    /// A server TLS configuration: TLS 1.2 at least; with `clientCA`, client certificates are verified
    /// when presented (`.optionalVerification`, so API keys keep working). ALPN is set by Hummingbird's
    /// HTTP/2 upgrade channel itself.
    public static func serverTLS(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
                                 clientCA: [NIOSSLCertificate] = []) -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificateChain.map { .certificate($0) },
                                                           privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv12
        if !clientCA.isEmpty {
            tls.trustRoots = .certificates(clientCA)
            tls.certificateVerification = .optionalVerification
        }
        return tls
    }
}

/// The parts a request passes through, shared by all requests.
public struct ServeParts: Sendable {
    public let api: ServeAPI
    public let keys: KeyRing
    public let audit: ServeAuditLog?
    public let metrics: ServeMetrics
    public let statistics: ServeStatistics

    public init(api: ServeAPI, keys: KeyRing, audit: ServeAuditLog?, metrics: ServeMetrics, statistics: ServeStatistics) {
        self.api = api
        self.keys = keys
        self.audit = audit
        self.metrics = metrics
        self.statistics = statistics
    }
}

/// `fedtop serve`'s HTTP server (Hummingbird 2, with the handlers generated from the OpenAPI contract).
///
/// Contract: every route passes, in order: request identity and security headers (and, on the way
/// out, the audit line, metrics and statistics); CORS when an allow-list is given (``CORSMiddleware``); the error responder (every error a JSON
/// `ErrorResponse` with a generic message; 404, and 405 with `Allow`); admission control (in-flight
/// cap; 503 while the audit log has failed); the client certificate (TLS); authentication (an API
/// key or a client certificate; `/healthz` exempt) and the route's scope; the body limit; the
/// one-pass reader of prediction records (``PredictBodyMiddleware``); then the handler. Middlewares apply to routes added after them, so they are all added first.
/// Connections: a TLS handshake must finish within `limits.handshakeTimeoutMilliseconds`
/// (``HandshakeDeadlineChannel``); connections and HTTP/2 streams idle for `limits.idleTimeoutSeconds`
/// are closed; a request's deadline runs from the arrival of its head and covers its body.
public enum ServeApplication {
    /// Compact JSON answers (the runtime's default pretty-prints them: a third more bytes, and time).
    static let openAPI = Configuration(jsonEncodingOptions: [.sortedKeys])

    public static func makeRouter(settings: ServeSettings, parts: ServeParts) throws -> Router<ServeRequestContext> {
        let serverURL = URL(string: "/")!
        // First pass: only record the operations' paths and methods (for 405 + Allow).
        let recorder = RouteRecorder()
        try parts.api.registerHandlers(on: recorder, serverURL: serverURL, configuration: Self.openAPI)

        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: RequestIdentityMiddleware(overTLS: settings.tls != nil, audit: parts.audit, metrics: parts.metrics,
                                                         statistics: parts.statistics))
        if let cors = settings.cors, !cors.origins.isEmpty { router.add(middleware: CORSMiddleware(policy: cors)) }
        router.add(middleware: ErrorResponderMiddleware(routes: recorder.table))
        let audit = parts.audit
        router.add(middleware: AdmissionControlMiddleware(limit: settings.limits.maxConcurrentRequests,
                                                          audit: ServeAuditLogProbe { audit?.failed }))
        if settings.tls != nil { router.add(middleware: PeerCertificateMiddleware()) }
        router.add(middleware: AuthenticationMiddleware(keys: parts.keys, failures: FailedAuthenticationLimiter(
            burst: settings.limits.failedAuthenticationBurst, perSecond: settings.limits.failedAuthenticationsPerSecond)))
        router.add(middleware: ScopeMiddleware(scopes: [
            "/v1/predict": [.predict], "/v1/predict/private": [.private], "/v1/model": [.predict, .private], "/metrics": [.metrics],
        ]))
        router.add(middleware: BodyLimitMiddleware(maxBytes: settings.limits.maxBodyBytes, deadlineMilliseconds: settings.limits.deadlineMilliseconds))
        router.add(middleware: PredictBodyMiddleware(maxBatch: settings.limits.maxBatch, maxPrivateBatch: settings.limits.maxPrivateBatch))
        router.add(middleware: SingleWriteResponseMiddleware())
        // Second pass: the real registration, after the middlewares.
        try parts.api.registerHandlers(on: router, serverURL: serverURL, configuration: Self.openAPI)
        return router
    }

    /// Runs Swift concurrency's jobs on NIO's event loops (the ones the server listens on), so that a
    /// request's handler does not hop from the event loop to the cooperative pool and back: on two
    /// cores that hand-off was a fifth of the server's time. The price: a handler's blocking work (the
    /// model's arithmetic, a private answer's ledger fsync, the audit line's write) runs on the loop and
    /// holds that loop's other connections meanwhile — on two cores the pool had no more threads to
    /// give either. Only `fedtop serve run` calls it, before anything async starts; later calls answer
    /// the first one's result (NIO allows one install per process). False when this platform or
    /// toolchain does not allow it (the server then works as before).
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool { installed }

    private static let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

    /// `onServerRunning` is called with the listening channel once the server accepts connections
    /// (its `localAddress` has the port, also when 0 was asked for).
    public static func makeApplication(router: Router<ServeRequestContext>, settings: ServeSettings, logger: Logger? = nil,
                                       onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        throws -> Application<RouterResponder<ServeRequestContext>> {
        let idle = Int64(settings.limits.idleTimeoutSeconds)
        let server: HTTPServerBuilder
        if let tls = settings.tls {
            let configuration = HTTP2UpgradeChannel.Configuration(idleTimeout: .seconds(idle), gracefulCloseTimeout: .seconds(5),
                                                                  streamConfiguration: .init(idleTimeout: .seconds(idle)))
            let handshake = TimeAmount.milliseconds(Int64(settings.limits.handshakeTimeoutMilliseconds))
            server = HTTPServerBuilder { responder in
                HandshakeDeadlineChannel(base: try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: configuration, responder: responder),
                                         timeout: handshake)
            }
        } else {
            server = .http1(configuration: .init(idleTimeout: .seconds(idle)))
        }
        return Application(router: router, server: server,
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
                           onServerRunning: onServerRunning, logger: logger)
    }
}
