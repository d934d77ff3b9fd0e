import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOSSL
@testable import Federation
import Serving
import ServingAPI
import ServingServer
import TensorCore
import Testing

/// A served toy model (an MLP on 2 features, 2 classes, signed), a keys file with a predict+private
/// key and a metrics key, ledgers and an audit log, all in a scratch folder removed by `remove()`.
final class TestServer: @unchecked Sendable {
    let root: String
    let predictKey: String
    let privateKey: String
    let metricsKey: String
    let predictKeyID: String
    let privateKeyID: String
    let audit: ServeAuditLog
    let parts: ServeParts
    let settings: ServeSettings
    let model: Sequential

    init(limits: ServeLimits = TestServer.limits, tls: TLSConfiguration? = nil, rate: Double = 1_000, burst: Int = 1_000,
         privateEpsilon: Double = 4, cors: CORSPolicy? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-serve-\(UUID().uuidString)").path
        let run = root + "/run", keys = root + "/keys", state = root + "/state"
        for d in [run, keys, state] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let signer = try CheckpointSigner.create(keyDirectory: keys, runDirectory: run)
        model = try ModelZoo.mlp(inputShape: [2], hidden: 4, classes: 2, seed: 5)
        let provenance = ModelProvenance(run: "serve-test", dataset: "toy", classNames: ["malignant", "benign"], featureClip: nil,
                                         featureNames: ["tumour size (z)", "age (z)"],
                                         privacy: "sample", epsilonBudget: 3, delta: 1e-5)
        try CheckpointStore(directory: run, signer: signer, encryptionKey: nil).save(model, round: 7, metadata: provenance.metadata)
        var store = try APIKeyStore.open(path: state + "/keys.json")
        let issued = try store.add(name: "clinic", scopes: [.predict], recordsPerSecond: rate, burst: burst,
                                   privateEpsilon: 0, privateDelta: 1e-6)
        predictKey = issued.token
        predictKeyID = issued.key.id
        let research = try store.add(name: "research", scopes: [.private], recordsPerSecond: rate, burst: burst,
                                     privateEpsilon: privateEpsilon, privateDelta: 1e-6)
        privateKey = research.token
        privateKeyID = research.key.id
        metricsKey = try store.add(name: "prometheus", scopes: [.metrics], recordsPerSecond: 10, burst: 10, privateEpsilon: 0,
                                   privateDelta: 1e-6).token
        let served = try ServedModel.load(runDirectory: run, verifier: signer.verifier, encryption: nil)
        let metrics = ServeMetrics()
        audit = try ServeAuditLog(directory: state)
        let api = ServeAPI(model: served, card: ModelCard.read(runDirectory: run), limits: limits,
                           ledgers: try AnswerLedgers(stateDirectory: state), metrics: metrics)
        parts = ServeParts(api: api, keys: try KeyRing(path: state + "/keys.json"), audit: audit, metrics: metrics,
                           statistics: ServeStatistics())
        settings = ServeSettings(tls: tls, host: "127.0.0.1", port: 0, limits: limits, cors: cors)
    }

    static var limits: ServeLimits {
        var l = ServeLimits()
        l.maxBodyBytes = 4096
        // The suite runs beside CPU-heavy suites on two cores: a request can wait seconds for a thread, and the
        // deadline runs from its head. Only the deadline's own test sets a short one.
        l.deadlineMilliseconds = 120_000
        return l
    }

    func app() throws -> Application<RouterResponder<ServeRequestContext>> {
        try ServeApplication.makeApplication(router: try ServeApplication.makeRouter(settings: settings, parts: parts), settings: settings)
    }

    var jsonHeaders: HTTPFields { [.contentType: "application/json", .authorization: "Bearer \(predictKey)"] }
    var privateHeaders: HTTPFields { [.contentType: "application/json", .authorization: "Bearer \(privateKey)"] }

    /// The audit log's lines so far.
    func auditLines() throws -> [[String: Any]] {
        audit.sync()
        let text = try String(contentsOfFile: root + "/state/audit.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func remove() {
        audit.close()
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// The headers every response must carry; returns the request id.
@discardableResult
func expectSecurityHeaders(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", sourceLocation: sourceLocation)
    #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
    #expect(response.headers[HTTPField.Name("Content-Security-Policy")!] != nil, sourceLocation: sourceLocation)
    let id = response.headers[HTTPField.Name("X-Request-Id")!]
    #expect(id?.count == 32, sourceLocation: sourceLocation)
    return id
}

/// Decodes the body as an `ErrorResponse` and checks the code, the generic message and the request id.
@discardableResult
func expectError(_ response: TestResponse, status: HTTPResponse.Status, code: Components.Schemas.ErrorCode,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Components.Schemas.ErrorResponse {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    let id = expectSecurityHeaders(response, sourceLocation: sourceLocation)
    let error = try JSONDecoder().decode(Components.Schemas.ErrorResponse.self, from: Data(buffer: response.body))
    #expect(error.code == code, sourceLocation: sourceLocation)
    #expect(error.message == code.genericMessage, sourceLocation: sourceLocation)
    #expect(error.requestId == id, sourceLocation: sourceLocation)
    return error
}

func json(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

/// A TCP client that misbehaves below HTTP (says nothing, trickles a body), on its own thread
/// (blocking calls never run on the concurrency pool the server's handlers need).
struct RawTCPClient {
    let port: Int

    /// Connects, sends `bytes`, then reads until the server closes, what was read satisfies `done`, or
    /// `timeout` seconds pass. Returns what was read and when the server closed (seconds after
    /// connecting; nil if it did not). Timeouts are generous: under the full suite a server on two busy
    /// cores can take seconds to answer.
    func exchange(sending bytes: String, timeout: Double, until done: @escaping @Sendable (String) -> Bool = { _ in false })
        async throws -> (reply: String, closedAfter: Double?) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.blockingExchange(port: port, bytes: Array(bytes.utf8), timeout: timeout, until: done) })
            }
        }
    }

    private static func blockingExchange(port: Int, bytes: [UInt8], timeout: Double, until done: (String) -> Bool) throws
        -> (reply: String, closedAfter: Double?) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let start = Date()
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        var slice = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < timeout {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                reply += buffer[..<n]
                if done(String(decoding: reply, as: UTF8.self)) { return (String(decoding: reply, as: UTF8.self), nil) }
                continue
            }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return (String(decoding: reply, as: UTF8.self), Date().timeIntervalSince(start))
            }
        }
        return (String(decoding: reply, as: UTF8.self), nil)
    }
}
