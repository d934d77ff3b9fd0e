import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOSSL
import Serving
import ServingAPI
import ServingServer
import Testing

/// Self-signed certificates made with the openssl CLI in a temporary folder.
struct TestCertificates {
    let serverCertificate: NIOSSLCertificate
    let serverKey: NIOSSLPrivateKey
    let clientCertificate: NIOSSLCertificate
    let clientKey: NIOSSLPrivateKey
    /// A client certificate no CA the server trusts has issued.
    let intruderCertificate: NIOSSLCertificate
    let intruderKey: NIOSSLPrivateKey

    static func make() throws -> TestCertificates {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-serve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func selfSigned(_ name: String, subject: String, extensions: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.appendingPathComponent("\(name).key").path,
                "-out", dir.appendingPathComponent("\(name).pem").path,
                "-days", "2", "-subj", subject,
            ] + extensions.flatMap { ["-addext", $0] }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        try selfSigned("server", subject: "/CN=localhost", extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"])
        try selfSigned("client", subject: "/CN=hospital-a", extensions: ["extendedKeyUsage=clientAuth"])
        try selfSigned("intruder", subject: "/CN=hospital-a", extensions: ["extendedKeyUsage=clientAuth"])
        func load(_ name: String) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
            (
                try #require(try NIOSSLCertificate.fromPEMFile(dir.appendingPathComponent("\(name).pem").path).first),
                try NIOSSLPrivateKey(file: dir.appendingPathComponent("\(name).key").path, format: .pem)
            )
        }
        let (serverCertificate, serverKey) = try load("server")
        let (clientCertificate, clientKey) = try load("client")
        let (intruderCertificate, intruderKey) = try load("intruder")
        return .init(serverCertificate: serverCertificate, serverKey: serverKey, clientCertificate: clientCertificate, clientKey: clientKey,
                     intruderCertificate: intruderCertificate, intruderKey: intruderKey)
    }
}

extension TestCertificates {
    /// The server's TLS with the client CA `clientCertificate` (a self-signed client certificate is its own CA).
    var serverTLS: TLSConfiguration {
        ServeSettings.serverTLS(certificateChain: [serverCertificate], privateKey: serverKey, clientCA: [clientCertificate])
    }

    /// A client trusting the server's certificate, optionally presenting a certificate.
    func client(http1Only: Bool = false, presenting identity: (NIOSSLCertificate, NIOSSLPrivateKey)? = nil) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([serverCertificate])
        tls.minimumTLSVersion = .tlsv12
        if let (certificate, key) = identity {
            tls.certificateChain = [.certificate(certificate)]
            tls.privateKey = .privateKey(key)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .seconds(120)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

@Suite("fedtop serve live: HTTP/2 and HTTP/1.1 over TLS (ALPN), client certificates; plain HTTP/1.1 for --insecure")
struct LiveServeTests {
    @Test("HTTP/2 with an API key, a streamed oversized body refused, HTTP/1.1 with a client certificate from the trusted CA")
    func overTLS() async throws {
        let certificates = try TestCertificates.make()
        let server = try TestServer(tls: certificates.serverTLS); defer { server.remove() }
        try await server.app().test(.live) { testClient in
            let port = try #require(testClient.port)
            let h2 = certificates.client()
            do {
                let health = try await h2.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(120))
                #expect(health.status == .ok && health.version == .http2)
                #expect(health.headers.first(name: "strict-transport-security") != nil)
                _ = try await health.body.collect(upTo: 1 << 16)

                var predict = HTTPClientRequest(url: "https://localhost:\(port)/v1/predict")
                predict.method = .POST
                predict.headers.add(name: "content-type", value: "application/json")
                predict.headers.add(name: "authorization", value: "Bearer \(server.predictKey)")
                predict.body = .bytes(ByteBuffer(string: #"{"records":[[1,2],[3,4]]}"#))
                let answer = try await h2.execute(predict, timeout: .seconds(120))
                #expect(answer.status == .ok && answer.version == .http2)
                let decoded = try JSONDecoder().decode(Components.Schemas.PredictResponse.self,
                                                       from: Data(buffer: try await answer.body.collect(upTo: 1 << 16)))
                #expect(decoded.predictions.count == 2)

                // A streamed body of unknown length (no Content-Length): refused while it is read.
                var big = HTTPClientRequest(url: "https://localhost:\(port)/v1/predict")
                big.method = .POST
                big.headers.add(name: "content-type", value: "application/json")
                big.headers.add(name: "authorization", value: "Bearer \(server.predictKey)")
                let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: 1024)
                big.body = .stream(AsyncStream { continuation in
                    for _ in 0..<8 { continuation.yield(chunk) }
                    continuation.finish()
                }, length: .unknown)
                let refused = try await h2.execute(big, timeout: .seconds(120))
                #expect(refused.status == .payloadTooLarge)
                let error = try JSONDecoder().decode(Components.Schemas.ErrorResponse.self,
                                                     from: Data(buffer: try await refused.body.collect(upTo: 1 << 16)))
                #expect(error.code == .bodyTooLarge)
            } catch {
                try await h2.shutdown()
                throw error
            }
            try await h2.shutdown()

            let h1 = certificates.client(http1Only: true, presenting: (certificates.clientCertificate, certificates.clientKey))
            do {
                var model = HTTPClientRequest(url: "https://localhost:\(port)/v1/model")
                model.headers.add(name: "accept", value: "application/json")
                let response = try await h1.execute(model, timeout: .seconds(120))
                #expect(response.status == .ok && response.version == .http1_1)
                _ = try await response.body.collect(upTo: 1 << 20)
            } catch {
                try await h1.shutdown()
                throw error
            }
            try await h1.shutdown()
        }
        let keys = try server.auditLines().map { $0["key"] as? String }
        #expect(keys.contains("cert:hospital-a") && keys.contains(server.predictKeyID))
    }

    @Test("a client certificate from a CA the server does not trust (same common name) ends the handshake; nothing is answered or audited as it")
    func untrustedClientCertificate() async throws {
        let certificates = try TestCertificates.make()
        let server = try TestServer(tls: certificates.serverTLS); defer { server.remove() }
        try await server.app().test(.live) { testClient in
            let port = try #require(testClient.port)
            let client = certificates.client(presenting: (certificates.intruderCertificate, certificates.intruderKey))
            var model = HTTPClientRequest(url: "https://localhost:\(port)/v1/model")
            model.headers.add(name: "accept", value: "application/json")
            var answered = false
            do {
                let response = try await client.execute(model, timeout: .seconds(3))
                answered = response.status == .ok
                _ = try? await response.body.collect(upTo: 1 << 20)
            } catch {}
            try await client.shutdown()
            #expect(!answered, "a certificate from an untrusted CA was accepted")
        }
        #expect(try server.auditLines().allSatisfy { ($0["key"] as? String)?.hasPrefix("cert:") != true })
    }

    @Test("a connection that never finishes its TLS handshake is closed at the handshake deadline")
    func handshakeDeadline() async throws {
        let certificates = try TestCertificates.make()
        var limits = TestServer.limits
        limits.handshakeTimeoutMilliseconds = 300
        let server = try TestServer(limits: limits, tls: ServeSettings.serverTLS(certificateChain: [certificates.serverCertificate],
                                                                                privateKey: certificates.serverKey)); defer { server.remove() }
        try await server.app().test(.live) { testClient in
            let port = try #require(testClient.port)
            for opening in ["", "\u{16}\u{03}\u{01}"] {  // silence, and the first bytes of a ClientHello
                let (_, closedAfter) = try await RawTCPClient(port: port).exchange(sending: opening, timeout: 120)
                let after = try #require(closedAfter, "the server kept a silent connection open for 120 s")
                // Closed at the deadline, not by the 60-second idle timeout (a loaded machine adds seconds).
                #expect(after >= 0.25 && after < 50, "closed after \(after) s")
            }
        }
    }

    @Test("a body trickled past the request deadline is refused with 503 deadline_exceeded, counted from the request's head")
    func slowBody() async throws {
        var limits = TestServer.limits
        limits.deadlineMilliseconds = 400
        let server = try TestServer(limits: limits); defer { server.remove() }
        try await server.app().test(.live) { testClient in
            let port = try #require(testClient.port)
            let head = "POST /v1/predict HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.predictKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"records\":"
            let started = Date()
            let (reply, _) = try await RawTCPClient(port: port).exchange(sending: head, timeout: 120, until: { $0.contains("}") })
            #expect(reply.hasPrefix("HTTP/1.1 503"), "\(reply.prefix(80))")
            #expect(reply.contains("deadline_exceeded"))
            #expect(Date().timeIntervalSince(started) >= 0.35)
        }
        let lines = try server.auditLines()
        #expect(lines.contains { $0["decision"] as? String == "deadline_exceeded" && $0["status"] as? Int == 503 })
    }

    @Test("plain HTTP/1.1 (--insecure on loopback): the same refusals and answers, no HSTS")
    func plainHTTP1() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.live) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            expectSecurityHeaders(health)
            #expect(health.headers[HTTPField.Name("Strict-Transport-Security")!] == nil)
            try expectError(try await client.execute(uri: "/v1/predict", method: .post, headers: [.contentType: "application/json"],
                                                     body: json(#"{"records":[[1,2]]}"#)), status: .unauthorized, code: .unauthenticated)
            #expect(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                             body: json(#"{"records":[[1,2]]}"#)).status == .ok)
        }
    }

    @Test("a client guessing keys: 401 up to the address's allowance, then 429 with Retry-After; a valid key from the same address is still served; audited")
    func guessingKeys() async throws {
        var limits = TestServer.limits
        limits.failedAuthenticationBurst = 5
        limits.failedAuthenticationsPerSecond = 0.01
        let server = try TestServer(limits: limits); defer { server.remove() }
        try await server.app().test(.live) { client in
            func guess(_ i: Int) async throws -> TestResponse {
                try await client.execute(uri: "/v1/predict", method: .post,
                                         headers: [.contentType: "application/json", .authorization: "Bearer fedtop_\(i)00000000000_guess"],
                                         body: json(#"{"records":[[1,2]]}"#))
            }
            for i in 0..<5 { try expectError(try await guess(i), status: .unauthorized, code: .unauthenticated) }
            let refused = try await guess(5)
            try expectError(refused, status: .tooManyRequests, code: .rateLimited)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Clients behind one address keep their service: a valid key is answered.
            #expect(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                             body: json(#"{"records":[[1,2]]}"#)).status == .ok)
            try expectError(try await guess(6), status: .tooManyRequests, code: .rateLimited)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        let lines = try server.auditLines()
        #expect(lines.filter { $0["decision"] as? String == "unauthenticated" }.count == 5)
        #expect(lines.filter { $0["decision"] as? String == "rate_limited" && $0["key"] as? String == "-" && $0["status"] as? Int == 429 }.count == 2)
    }
}
