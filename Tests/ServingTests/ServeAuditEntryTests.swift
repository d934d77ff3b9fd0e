import Foundation
import Testing
@testable import Serving

/// The audit line and the key text are written and read by hand (they run on every request); these tests
/// hold them to what Foundation's coders do.
@Suite("Hand-written encodings: the audit line and base64url")
struct ServeAuditEntryTests {
    @Test("an audit line decodes with JSONDecoder to the same entry, whatever the strings hold; its keys are sorted")
    func auditLine() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09 \"\\/\n\r\t\u{01}\u{7F}é€😀-_:.")
        for i in 0..<2_000 {
            func text() -> String { String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
            let entry = ServeAuditEntry(time: Date(timeIntervalSince1970: Double.random(in: 0...4e9, using: &generator)), request: text(),
                                        key: text(), route: text(), status: Int.random(in: 100...599, using: &generator), decision: text(),
                                        records: Int.random(in: 0...1_000_000, using: &generator),
                                        epsilon: i % 2 == 0 ? nil : Double.random(in: 0...10, using: &generator),
                                        milliseconds: Double.random(in: 0...1e5, using: &generator))
            let line = entry.jsonLine
            #expect(!line.contains("\n"))
            let decoded = try JSONDecoder().decode(ServeAuditEntry.self, from: Data(line.utf8))
            #expect(decoded == entry, "\(line)")
            let keys = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).keys
            let order = ["decision", "epsilon", "key", "milliseconds", "records", "request", "route", "status", "time"].filter { keys.contains($0) }
            #expect(line.firstRange(of: "\"\(order[0])\"") != nil)
            let positions = order.map { line.range(of: "\"\($0)\":")!.lowerBound }
            #expect(positions == positions.sorted())
        }
    }

    @Test("timestamps are the UTC ISO 8601 time with milliseconds that ISO8601DateFormatter writes")
    func timestamp() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0, 1, 951_782_400.5, 1_796_601_599.999, 4_102_444_800.0417] + (0..<500).map({ _ in Double.random(in: 0...4e9) }) {
            // A quarter into a millisecond: truncation and rounding name the same one.
            let date = Date(timeIntervalSince1970: ((seconds * 1000).rounded(.down) + 0.25) / 1000)
            #expect(ServeAuditEntry.timestamp(date) == formatter.string(from: date), "\(seconds)")
        }
    }

    @Test("base64url: random bytes decode to themselves; a character outside the alphabet or an impossible length is nil")
    func base64URL() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64URL.encode(bytes)
            #expect(Base64URL.decode(Substring(text)) == bytes)
            // Foundation agrees on the standard alphabet with padding put back.
            var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
            #expect(Data(base64Encoded: standard).map(Array.init) == bytes)
        }
        // "AB" and "AAB": leftover bits that are not zero (the canonical spellings are "AA" and "AAA").
        for bad in ["ab+c", "ab/c", "abc=", "ab c", "abcde", "é", "ab\u{0}c", "AB", "AAB"] {
            #expect(Base64URL.decode(Substring(bad)) == nil, "\(bad)")
        }
    }
}
