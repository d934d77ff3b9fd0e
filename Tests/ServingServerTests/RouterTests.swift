import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Serving
import ServingAPI
import ServingServer
import TensorCore
import Testing

@Suite("fedtop serve's router: refusals first, then answers that match the model")
struct RouterTests {
    @Test("no key, a wrong key, a revoked key, both headers at once: 401 JSON with WWW-Authenticate; /healthz needs none")
    func authentication() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            expectSecurityHeaders(health)
            let none = try await client.execute(uri: "/v1/predict", method: .post, headers: [.contentType: "application/json"],
                                                body: json(#"{"records":[[1,2]]}"#))
            try expectError(none, status: .unauthorized, code: .unauthenticated)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            var forged = Array(server.predictKey.utf8)
            forged[forged.count - 2] = forged[forged.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            for headers: HTTPFields in [[.authorization: "Bearer nope"], [.authorization: "Bearer " + String(decoding: forged, as: UTF8.self)],
                                        [.authorization: "Bearer \(server.predictKey)", HTTPField.Name("X-API-Key")!: server.predictKey],
                                        [.authorization: "Basic \(server.predictKey)"], [.authorization: ""]] {
                try expectError(try await client.execute(uri: "/v1/model", method: .get, headers: headers), status: .unauthorized, code: .unauthenticated)
            }
            let ok = try await client.execute(uri: "/v1/model", method: .get, headers: [HTTPField.Name("X-API-Key")!: server.predictKey])
            #expect(ok.status == .ok)
            let card = try JSONDecoder().decode(Components.Schemas.ModelCard.self, from: Data(buffer: ok.body))
            #expect(card.features.names == ["tumour size (z)", "age (z)"], "the signed provenance's feature names, in record order")
        }
    }

    @Test("a key revoked while the server runs is refused within about a second")
    func revocation() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            #expect(try await client.execute(uri: "/v1/model", method: .get, headers: server.jsonHeaders).status == .ok)
            var store = try APIKeyStore.open(path: server.root + "/state/keys.json")
            try store.revoke(id: server.predictKeyID)
            try await Task.sleep(for: .milliseconds(1_100))
            try expectError(try await client.execute(uri: "/v1/model", method: .get, headers: server.jsonHeaders),
                            status: .unauthorized, code: .unauthenticated)
        }
    }

    @Test("bad records: wrong length, NaN-by-overflow, out of range, sponge (subnormal, variance), too many — 4xx codes, the record's index, no values echoed")
    func recordRefusals() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let cases: [(String, HTTPResponse.Status, Components.Schemas.ErrorCode, Int32?)] = [
                (#"{"records":[[1,2],[1,2,3]]}"#, .unprocessableContent, .badShape, 1),
                (#"{"records":[[1e39,0]]}"#, .unprocessableContent, .nonFinite, 0),
                (#"{"records":[[0,10.5]]}"#, .unprocessableContent, .outOfRange, 0),
                (#"{"records":[[1e-40,0]]}"#, .unprocessableContent, .spongeInput, 0),
                (#"{"records":[]}"#, .badRequest, .badRequest, nil),
                ("{\"records\":[" + Array(repeating: "[0,0]", count: 65).joined(separator: ",") + "]}", .unprocessableContent, .batchTooLarge, nil),
            ]
            for (body, status, code, record) in cases {
                let response = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(body))
                let error = try expectError(response, status: status, code: code)
                #expect(error.record == record, "\(code)")
                // Only the code, the generic message, the request id and the record's index: no value echoed.
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect(Set(object.keys).isSubset(of: ["code", "message", "requestId", "record"]))
            }
            for body in [#"{"records":[[1,2]"#, #"{"records":"x"}"#, #"{"records":[[1,2]],"extra":1}"#, ""] {
                let response = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(body))
                try expectError(response, status: .badRequest, code: .badRequest)
                #expect(!String(buffer: response.body).contains("records") && !String(buffer: response.body).contains("extra"))
            }
            let big = "{\"records\":[[" + Array(repeating: "0.125", count: 1_000).joined(separator: ",") + "]]}"
            try expectError(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(big)),
                            status: .contentTooLarge, code: .bodyTooLarge)
            try expectError(try await client.execute(uri: "/v1/predict", method: .post,
                                                     headers: [.contentType: "text/plain", .authorization: "Bearer \(server.predictKey)"],
                                                     body: json(#"{"records":[[1,2]]}"#)),
                            status: .unsupportedMediaType, code: .unsupportedMediaType)
        }
    }

    @Test("predictions are the model's softmax and argmax, in order, labelled with the signed class names")
    func predictions() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                                    body: json(#"{"records":[[0.5,-1],[2,0.25],[0,0]]}"#))
            #expect(response.status == .ok)
            expectSecurityHeaders(response)
            let answer = try JSONDecoder().decode(Components.Schemas.PredictResponse.self, from: Data(buffer: response.body))
            let logits = server.model.logits(for: Tensor(shape: [3, 2], scalars: [0.5, -1, 2, 0.25, 0, 0]))
            #expect(answer.model.round == 7 && answer.model.runId == "serve-test" && answer.model.sha256.count == 64)
            for (i, prediction) in answer.predictions.enumerated() {
                let z = [Double(logits[flat: 2 * i]), Double(logits[flat: 2 * i + 1])]
                let p1 = 1 / (1 + exp(z[0] - z[1]))
                #expect(abs((prediction.probabilities?[1] ?? -1) - p1) < 1e-9)
                #expect(Int(prediction.classIndex) == (z[1] > z[0] ? 1 : 0))
                #expect(prediction.label == ["malignant", "benign"][Int(prediction.classIndex)])
            }
            let labels = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                                  body: json(#"{"records":[[0.5,-1]],"output":"label"}"#))
            let labelOnly = try JSONDecoder().decode(Components.Schemas.PredictResponse.self, from: Data(buffer: labels.body))
            #expect(labelOnly.predictions.first?.probabilities == nil)
        }
    }

    @Test("a key's token bucket: one token a record; past it 429 with Retry-After")
    func rateLimit() async throws {
        // The slowest rate a key may have (0.001 a second): no token comes back while the test runs, however
        // long a loaded machine takes between the two requests (at 0.1 a second, one did under the full suite).
        let server = try TestServer(rate: 0.001, burst: 3); defer { server.remove() }
        try await server.app().test(.router) { client in
            #expect(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                             body: json(#"{"records":[[0,0],[1,1],[2,2]]}"#)).status == .ok)
            let limited = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(#"{"records":[[0,0]]}"#))
            try expectError(limited, status: .tooManyRequests, code: .rateLimited)
            #expect((Int(limited.headers[.retryAfter] ?? "") ?? 0) >= 10)  // 1 token at 0.001 a second: 1,000 s
        }
    }

    @Test("private answers: paid before they are given, labels only, the budget reported; past it 403 budget_exhausted and nothing spent")
    func privateAnswers() async throws {
        var limits = TestServer.limits
        limits.privateEpsilonPerAnswer = 1
        let server = try TestServer(limits: limits, privateEpsilon: 3); defer { server.remove() }
        try await server.app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/predict/private", method: .post, headers: server.privateHeaders,
                                                    body: json(#"{"records":[[0,1],[1,0]]}"#))
            #expect(response.status == .ok)
            let answer = try JSONDecoder().decode(Components.Schemas.PrivatePredictResponse.self, from: Data(buffer: response.body))
            #expect(answer.predictions.count == 2 && answer.epsilonCharged == 2 && answer.budget.spentEpsilon == 2 && answer.budget.answers == 2)
            #expect(!String(buffer: response.body).contains("probabilities"))
            let ledger = server.root + "/state/ledgers/\(server.privateKeyID).ledger"
            let before = try Data(contentsOf: URL(fileURLWithPath: ledger))
            let refused = try await client.execute(uri: "/v1/predict/private", method: .post, headers: server.privateHeaders,
                                                   body: json(#"{"records":[[0,1],[1,0]]}"#))
            try expectError(refused, status: .forbidden, code: .budgetExhausted)
            #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == before)
            // A metrics-only key, and a predict key, have no `private` scope; a private key has no `predict`.
            for key in [server.metricsKey, server.predictKey] {
                try expectError(try await client.execute(uri: "/v1/predict/private", method: .post,
                                                         headers: [.contentType: "application/json", .authorization: "Bearer \(key)"],
                                                         body: json(#"{"records":[[0,1]]}"#)), status: .forbidden, code: .forbidden)
            }
            try expectError(try await client.execute(uri: "/v1/predict", method: .post, headers: server.privateHeaders,
                                                     body: json(#"{"records":[[0,1]]}"#)), status: .forbidden, code: .forbidden)
            // The predict key's model card did not open a ledger for it.
            _ = try await client.execute(uri: "/v1/model", method: .get, headers: server.jsonHeaders)
            #expect(!FileManager.default.fileExists(atPath: server.root + "/state/ledgers/\(server.predictKeyID).ledger"))
        }
    }

    @Test("the attacker's paths: a trailing or doubled slash reaches the same handler, so it gets the same scope check")
    func scopeBypass() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let metrics: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(server.metricsKey)"]
            for path in ["/v1/predict/", "//v1/predict", "/v1//predict/"] {
                try expectError(try await client.execute(uri: path, method: .post, headers: metrics, body: json(#"{"records":[[0,1]]}"#)),
                                status: .forbidden, code: .forbidden)
            }
            for path in ["/metrics/", "//metrics"] {
                try expectError(try await client.execute(uri: path, method: .get, headers: server.jsonHeaders), status: .forbidden, code: .forbidden)
            }
            for path in ["/v1/predict/private/", "//v1/predict/private"] {
                try expectError(try await client.execute(uri: path, method: .post, headers: server.jsonHeaders, body: json(#"{"records":[[0,1]]}"#)),
                                status: .forbidden, code: .forbidden)
            }
            try expectError(try await client.execute(uri: "/v1/model/", method: .get, headers: metrics), status: .forbidden, code: .forbidden)
        }
        let routes = try server.auditLines().compactMap { $0["route"] as? String }
        #expect(!routes.contains("unmatched"))
    }

    @Test("a batch larger than the key's burst is refused as too large (422), not told to wait")
    func batchOverBurst() async throws {
        let server = try TestServer(burst: 2); defer { server.remove() }
        try await server.app().test(.router) { client in
            try expectError(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders,
                                                     body: json(#"{"records":[[0,0],[1,1],[2,2]]}"#)), status: .unprocessableContent, code: .batchTooLarge)
        }
    }

    @Test("404 and 405 with Allow are JSON too; routes are not revealed to the unauthenticated")
    func routing() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let unknown = try await client.execute(uri: "/v1/nothing/here", method: .get, headers: server.jsonHeaders)
            try expectError(unknown, status: .notFound, code: .notFound)
            #expect(!String(buffer: unknown.body).contains("nothing"))
            try expectError(try await client.execute(uri: "/v1/nothing/here", method: .get), status: .unauthorized, code: .unauthenticated)
            let wrong = try await client.execute(uri: "/v1/predict", method: .get, headers: server.jsonHeaders)
            try expectError(wrong, status: .methodNotAllowed, code: .methodNotAllowed)
            #expect(wrong.headers[.allow] == "POST")
        }
    }

    @Test("the model card, metrics by scope, and an audit line per request with no input values")
    func cardMetricsAudit() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            _ = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(#"{"records":[[0.4375123,1.6250987]]}"#))
            _ = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(#"{"records":[[0.4375123,77.123456]]}"#))
            let card = try JSONDecoder().decode(Components.Schemas.ModelCard.self, from: Data(buffer: try await client.execute(
                uri: "/v1/model", method: .get, headers: server.jsonHeaders).body))
            #expect(card.classes == ["malignant", "benign"] && card.architecture.kind == .mlp && card.features.count == 2)
            #expect(card.run.round == 7 && card.signature.keyId.count == 64 && card.privatePrediction.budgetPerKey.epsilon == 0)
            try expectError(try await client.execute(uri: "/metrics", method: .get, headers: server.jsonHeaders), status: .forbidden, code: .forbidden)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(server.metricsKey)"])
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains(#"fedtop_serve_records_total{route="predict"} 1"#))
            #expect(text.contains("decision=\"out_of_range\""))
        }
        let lines = try server.auditLines()
        #expect(lines.count == 5)
        #expect(lines.map { $0["decision"] as? String } == ["ok", "out_of_range", "ok", "forbidden", "ok"])
        #expect(lines[0]["key"] as? String == server.predictKeyID && lines[0]["route"] as? String == "predict" && lines[0]["records"] as? Int == 1)
        let raw = try String(contentsOfFile: server.root + "/state/audit.jsonl", encoding: .utf8)
        #expect(!raw.contains("4375123") && !raw.contains("6250987") && !raw.contains("123456") && !raw.contains(server.predictKey))
    }
}
