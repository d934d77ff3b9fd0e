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
        func load(_ name: String) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
            (
                try #require(try NIOSSLCertificate.fromPEMFile(dir.appendingPathComponent("\(name).pem").path).first),
                try NIOSSLPrivateKey(file: dir.appendingPathComponent("\(name).key").path, format: .pem)
            )
        }
        let (serverCertificate, serverKey) = try load("server")
        let (clientCertificate, clientKey) = try load("client")
        return .init(serverCertificate: serverCertificate, serverKey: serverKey, clientCertificate: clientCertificate, clientKey: clientKey)
    }
}

@Suite("fedtop serve live: HTTP/2 and HTTP/1.1 over TLS (ALPN), client certificates; plain HTTP/1.1 for --insecure")
struct LiveServeTests {
    @Test("HTTP/2 with an API key, a streamed oversized body refused, HTTP/1.1 with a client certificate from the trusted CA")
    func overTLS() async throws {
        let certificates = try TestCertificates.make()
        let tls = ServeSettings.serverTLS(certificateChain: [certificates.serverCertificate], privateKey: certificates.serverKey,
                                          clientCA: [certificates.clientCertificate])
        let server = try TestServer(tls: tls); defer { server.remove() }
        try await server.app().test(.live) { testClient in
            let port = try #require(testClient.port)
            func makeClient(http1Only: Bool, clientCertificate: Bool) -> HTTPClient {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates([certificates.serverCertificate])
                tls.minimumTLSVersion = .tlsv12
                if clientCertificate {
                    tls.certificateChain = [.certificate(certificates.clientCertificate)]
                    tls.privateKey = .privateKey(certificates.clientKey)
                }
                var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
                configuration.httpVersion = http1Only ? .http1Only : .automatic
                return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            }

            let h2 = makeClient(http1Only: false, clientCertificate: false)
            do {
                let health = try await h2.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(10))
                #expect(health.status == .ok && health.version == .http2)
                #expect(health.headers.first(name: "strict-transport-security") != nil)
                _ = try await health.body.collect(upTo: 1 << 16)

                var predict = HTTPClientRequest(url: "https://localhost:\(port)/v1/predict")
                predict.method = .POST
                predict.headers.add(name: "content-type", value: "application/json")
                predict.headers.add(name: "authorization", value: "Bearer \(server.predictKey)")
                predict.body = .bytes(ByteBuffer(string: #"{"records":[[1,2],[3,4]]}"#))
                let answer = try await h2.execute(predict, timeout: .seconds(10))
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
                let refused = try await h2.execute(big, timeout: .seconds(10))
                #expect(refused.status == .payloadTooLarge)
                let error = try JSONDecoder().decode(Components.Schemas.ErrorResponse.self,
                                                     from: Data(buffer: try await refused.body.collect(upTo: 1 << 16)))
                #expect(error.code == .bodyTooLarge)
            } catch {
                try await h2.shutdown()
                throw error
            }
            try await h2.shutdown()

            let h1 = makeClient(http1Only: true, clientCertificate: true)
            do {
                var model = HTTPClientRequest(url: "https://localhost:\(port)/v1/model")
                model.headers.add(name: "accept", value: "application/json")
                let response = try await h1.execute(model, timeout: .seconds(10))
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
}
