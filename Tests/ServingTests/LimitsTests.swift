import Foundation
import Testing
@testable import Serving
import TensorCore

@Suite("Token buckets and private answers")
struct LimitsTests {
    @Test("a bucket pays a burst, then refills at its rate; the wait it reports is exact; an unpayable cost waits forever")
    func bucket() {
        var b = TokenBucket(capacity: 10, rate: 2, now: 100)
        #expect(b.take(6, now: 100) == nil && b.take(4, now: 100) == nil)
        #expect(b.take(1, now: 100) == 0.5)           // one token at 2 a second
        #expect(b.take(3, now: 101) == 0.5)           // 2 refilled, 1 more needed
        #expect(b.take(3, now: 101.5) == nil && b.tokens == 0)
        #expect(b.take(11, now: 1_000) == .infinity)  // more than it can ever hold
        #expect(b.take(10, now: 1_000) == nil)        // refilled to capacity, not beyond
    }

    final class FakeClock: @unchecked Sendable {
        var now = 0.0
    }

    @Test("the limiter keeps one bucket per key, sized by the key; Retry-After is whole seconds, at least 1")
    func limiter() {
        let clock = FakeClock()
        let limiter = RateLimiter { clock.now }
        let slow = APIKey(id: "aaaaaaaaaaaa", name: "slow", sha256: "", scopes: [.predict], recordsPerSecond: 0.5, burst: 2,
                          privateEpsilon: 0, privateDelta: 1e-6, created: "", revoked: nil)
        var fast = slow
        fast.id = "bbbbbbbbbbbb"
        fast.burst = 100
        #expect(limiter.take(key: slow, cost: 2) == nil)
        #expect(limiter.take(key: slow, cost: 1) == 2)      // 1 token at 0.5 a second
        #expect(limiter.take(key: fast, cost: 64) == nil)   // another key's bucket is its own
        clock.now = 2
        #expect(limiter.take(key: slow, cost: 1) == nil)
        #expect(limiter.take(key: slow, cost: 3) == 3600)   // over its burst: never
    }

    @Test("report-noisy-max picks class c with probability ∝ exp(ε·p_c/2), the exponential mechanism's")
    func noisyMax() {
        var g = SeededGenerator(seed: 3)
        let p = [0.7, 0.2, 0.1], epsilon = 4.0, n = 200_000
        var counts = [0, 0, 0]
        for _ in 0..<n { counts[ReportNoisyMax.choose(p, epsilon: epsilon, using: &g)] += 1 }
        let weights = p.map { exp(epsilon * $0 / 2) }
        for c in 0..<3 {
            let expected = weights[c] / weights.reduce(0, +)
            let se = (expected * (1 - expected) / Double(n)).squareRoot()
            #expect(abs(Double(counts[c]) / Double(n) - expected) < 5 * se, "class \(c): \(counts[c]) vs \(expected)")
        }
    }

    @Test("answers are paid before they are given, the budget holds, a refusal spends nothing, and a restart remembers")
    func ledgers() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let key = APIKey(id: "0123456789ab", name: "k", sha256: "", scopes: [.private], recordsPerSecond: 1, burst: 1,
                         privateEpsilon: 3, privateDelta: 1e-6, created: "", revoked: nil)
        let ledgers = try AnswerLedgers(stateDirectory: s.root)
        #expect(try ledgers.charge(key: key, epsilon: 1, count: 2).spentEpsilon == 2)
        let before = try Data(contentsOf: URL(fileURLWithPath: s.path("ledgers/0123456789ab.ledger")))
        do {
            _ = try ledgers.charge(key: key, epsilon: 1, count: 2)
            Issue.record("a charge past the budget was accepted")
        } catch {
            guard case let .budgetExhausted(budget) = error else { Issue.record("\(error)"); return }
            #expect(budget.spentEpsilon == 2 && budget.answers == 2 && budget.remainingEpsilon == 1)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: s.path("ledgers/0123456789ab.ledger"))) == before)
        let restarted = try AnswerLedgers(stateDirectory: s.root)
        #expect(try restarted.budget(of: key) == AnswerBudget(epsilon: 3, delta: 1e-6, spentEpsilon: 2, answers: 2))
        var none = key
        none.id = "ba9876543210"
        none.privateEpsilon = 0
        #expect(throws: AnswerRefusal.self) { try restarted.charge(key: none, epsilon: 1, count: 1) }
    }

    @Test("each key's ledger numbers its answers 1, 2, 3, … across restarts, whatever the other keys did")
    func sequences() throws {
        let s = try ServingScratch(); defer { s.remove() }
        func key(_ id: String) -> APIKey {
            APIKey(id: id, name: id, sha256: "", scopes: [.private], recordsPerSecond: 1, burst: 1, privateEpsilon: 50,
                   privateDelta: 1e-6, created: "", revoked: nil)
        }
        let a = key("aaaaaaaaaaaa"), b = key("bbbbbbbbbbbb")
        var ledgers = try AnswerLedgers(stateDirectory: s.root)
        for _ in 0..<3 { _ = try ledgers.charge(key: a, epsilon: 0.5, count: 2) }
        _ = try ledgers.charge(key: b, epsilon: 0.5, count: 1)
        ledgers = try AnswerLedgers(stateDirectory: s.root)  // a restart: b first this time
        _ = try ledgers.charge(key: b, epsilon: 0.5, count: 4)
        _ = try ledgers.charge(key: a, epsilon: 0.5, count: 1)
        func numbers(_ id: String) throws -> [Int] {
            try String(contentsOfFile: s.path("ledgers/\(id).ledger"), encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix("answer ") }.map { Int($0.split(separator: " ")[3])! }
        }
        #expect(try numbers(a.id) == [1, 2, 3, 4])
        #expect(try numbers(b.id) == [1, 2])
    }
}

@Suite("The serving audit log")
struct ServeAuditLogTests {
    @Test("one JSON line per request with no input values, mode 0600, flushed; rotation keeps the newest files")
    func lines() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let log = try ServeAuditLog(directory: s.root, rotateBytes: 400)
        for i in 0..<6 {
            log.record(ServeAuditEntry(request: "r\(i)", key: "0123456789ab", route: "predict", status: 200, decision: "ok",
                                       records: 2, milliseconds: 1.5))
        }
        log.close()
        #expect(log.failed == nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: s.root).filter { $0.hasPrefix("audit") }.sorted()
        #expect(files.count >= 2 && files.contains("audit.jsonl"))
        var lines: [String] = []
        for f in files { lines += try String(contentsOfFile: s.path(f), encoding: .utf8).split(separator: "\n").map(String.init) }
        #expect(lines.count == 6)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(Set(object.keys) == ["time", "request", "key", "route", "status", "decision", "records", "milliseconds"])
        }
        #expect(try FileManager.default.attributesOfItem(atPath: s.path("audit.jsonl"))[.posixPermissions] as? Int == 0o600)
    }

    @Test("a rotation after every line, many in one millisecond: no rotated file replaces another, names sort in request order, the newest 10 kept")
    func rapidRotation() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let log = try ServeAuditLog(directory: s.root, rotateBytes: 1)
        for i in 0..<14 {
            log.record(ServeAuditEntry(request: "r\(i)", key: "0123456789ab", route: "predict", status: 200, decision: "ok",
                                       records: 1, milliseconds: 1))
        }
        log.close()
        #expect(log.failed == nil)
        let rotated = try FileManager.default.contentsOfDirectory(atPath: s.root).filter { $0.hasPrefix("audit-") }.sorted()
        #expect(rotated.count == ServeAuditLog.keepRotated)
        let requests = try rotated.map { f -> String in
            let line = try String(contentsOfFile: s.path(f), encoding: .utf8).split(separator: "\n")
            let object = try JSONSerialization.jsonObject(with: Data(line.first!.utf8)) as! [String: Any]
            return object["request"] as! String
        }
        #expect(requests == (4..<14).map { "r\($0)" })
    }
}
