import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServingAPI
import ServingServer
import Testing

@Suite("CORS: off by default, an exact allow-list when asked, never a wildcard")
struct CORSTests {
    static let dashboard = "https://dash.hospital.example"
    static let preflight: HTTPFields = [.origin: dashboard, .accessControlRequestMethod: "POST",
                                        .accessControlRequestHeaders: "authorization, content-type"]

    @Test("without an allow-list no response carries a CORS header, and a preflight is just an unknown method")
    func offByDefault() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            var headers = server.jsonHeaders
            headers[.origin] = Self.dashboard
            let answer = try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: json(#"{"records":[[1,2]]}"#))
            #expect(answer.status == .ok && answer.headers[.accessControlAllowOrigin] == nil)
            let preflight = try await client.execute(uri: "/v1/predict", method: .options, headers: Self.preflight)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil && preflight.status != .noContent)
        }
    }

    @Test("an allowed origin: the preflight is answered without credentials; answers and refusals are readable by it")
    func allowed() async throws {
        let server = try TestServer(cors: try CORSPolicy(origins: [Self.dashboard.uppercased() + "/"])); defer { server.remove() }
        try await server.app().test(.router) { client in
            let preflight = try await client.execute(uri: "/v1/predict", method: .options, headers: Self.preflight)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == Self.dashboard)
            #expect(preflight.headers[.accessControlAllowMethods] == "GET, POST")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("authorization") == true)
            #expect(preflight.headers[.accessControlAllowCredentials] == nil)
            expectSecurityHeaders(preflight)

            var headers = server.jsonHeaders
            headers[.origin] = Self.dashboard
            let answer = try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: json(#"{"records":[[1,2]]}"#))
            #expect(answer.status == .ok && answer.headers[.accessControlAllowOrigin] == Self.dashboard)
            #expect(answer.headers[.vary] == "Origin")
            #expect(answer.headers[.accessControlExposeHeaders]?.contains("retry-after") == true)
            // A refusal (no key) is readable too, so the page can tell the user.
            let refused = try await client.execute(uri: "/v1/predict", method: .post, headers: [.origin: Self.dashboard, .contentType: "application/json"],
                                                   body: json(#"{"records":[[1,2]]}"#))
            try expectError(refused, status: .unauthorized, code: .unauthenticated)
            #expect(refused.headers[.accessControlAllowOrigin] == Self.dashboard)
        }
    }

    @Test("another origin (a look-alike host, another scheme or port) gets no CORS header, and its preflight is refused")
    func otherOrigins() async throws {
        let server = try TestServer(cors: try CORSPolicy(origins: [Self.dashboard])); defer { server.remove() }
        try await server.app().test(.router) { client in
            for origin in ["https://dash.hospital.example.evil.test", "http://dash.hospital.example", "https://dash.hospital.example:8443", "null"] {
                var preflight = Self.preflight
                preflight[.origin] = origin
                let refused = try await client.execute(uri: "/v1/predict", method: .options, headers: preflight)
                try expectError(refused, status: .forbidden, code: .forbidden)
                #expect(refused.headers[.accessControlAllowOrigin] == nil)
                var headers = server.jsonHeaders
                headers[.origin] = origin
                let answer = try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: json(#"{"records":[[1,2]]}"#))
                #expect(answer.status == .ok && answer.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test("a wildcard, null, a path or a non-web scheme is refused as an allow-list entry, naming it")
    func policy() throws {
        for bad in ["*", "null", "https://a.example/app", "ftp://a.example", "a.example", "https://user@a.example", "https://a.example?x=1"] {
            #expect(throws: CORSPolicyError.self) { try CORSPolicy(origins: [bad]) }
            do { _ = try CORSPolicy(origins: [bad]) } catch { #expect(error.description.hasPrefix(bad)) }
        }
        #expect(try CORSPolicy(origins: ["HTTPS://A.Example:8443"]).origins == ["https://a.example:8443"])
    }
}
