import Foundation
import Testing
@testable import Audit
import Datasets
import TensorCore

/// A server with no defences: every request answered 200 (a model card for GET, one prediction a record for POST).
struct OpenDoorServer: ServeAttackClient {
    func send(method: String, path: String, token: String?, body: [UInt8]?) async throws -> ServeExchange {
        if method == "GET" {
            let card = #"{"classes":["a","b"],"features":{"count":3,"maxAbsZ":10},"limits":{"maxBatch":8,"maxBodyBytes":4096,"rateLimit":{"burst":8,"recordsPerSecond":10}},"run":{"name":"open"}}"#
            return ServeExchange(status: 200, retryAfter: nil, body: Array(card.utf8), seconds: 0.001)
        }
        let records = (try? JSONSerialization.jsonObject(with: Data(body ?? [])) as? [String: Any])?["records"] as? [Any] ?? [[0]]
        let answer = "{\"predictions\":[" + Array(repeating: #"{"classIndex":0,"label":"a","probabilities":[0.9,0.1]}"#, count: records.count)
            .joined(separator: ",") + "]}"
        return ServeExchange(status: 200, retryAfter: nil, body: Array(answer.utf8), seconds: 0.001)
    }
}

@Suite("fedtop audit serve against a server with no defences: every attack that gets through is reported FAILED")
struct ServeAPIAuditTests {
    @Test("sponge bodies answered, random keys accepted and no rate limit are each a finding, never a pass")
    func openDoor() async throws {
        var audit = ServeAPIAudit(client: OpenDoorServer(), url: "http://127.0.0.1:1", token: "t", records: nil, command: "test")
        audit.guesses = 30
        audit.floodLimit = 50
        let report = try await audit.run(log: { _ in })
        let tables = report.sections.flatMap(\.tables)
        let sponge = try #require(tables.first { $0.name == "sponge-inputs" })
        let verdicts = sponge.rows.map { ($0[0], $0.last!) }
        #expect(verdicts.filter { $0.1 == "FAILED" }.count == sponge.rows.count - 1, "every hostile body answered is a failure")
        #expect(verdicts.contains { $0.0.hasPrefix("control") && $0.1 == "held" }, "the control is answered, as it should be")
        let brute = try #require(tables.first { $0.name == "brute-force" })
        #expect(brute.caption.contains("verdict: FAILED") && brute.rows == [["200", "30"]])
        let flood = try #require(tables.first { $0.name == "rate-limit" })
        #expect(flood.rows.contains(["verdict", "not reached"]))
        #expect(report.sections.contains { $0.paragraphs.contains { $0.hasPrefix("Not run") } }, "no --run: membership and evasion say so")
    }

    @Test("records past the server's bound are clipped to it and counted")
    func clipping() {
        let data = Dataset(name: "d", features: Tensor(shape: [3, 2], scalars: [0, 11, -12, 1, 2, 3]), labels: [0, 1, 0], classNames: ["x", "y"])
        let (clipped, touched) = ServeAPIAudit.clipped(data, to: 10)
        #expect(touched == 2 && clipped.features.scalars == [0, 10, -10, 1, 2, 3] && clipped.labels == data.labels)
    }
}
