import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Serving
import ServingAPI
import ServingServer
import TensorCore
import Testing

@Suite("Prediction bodies read in one pass: the same as the contract's decoder, or left to it")
struct PredictBodyTests {
    /// A random body: mostly the plain shape with numbers written every JSON way, then mutated.
    static func body(_ g: inout SeededGenerator) -> String {
        func number() -> String {
            switch Int.random(in: 0..<12, using: &g) {
            case 0: return "0"
            case 1: return "-0"
            case 2: return String(Int.random(in: -1000...1000, using: &g))
            case 3: return String(Double.random(in: -5...5, using: &g))
            case 4: return String(format: "%.3e", Double.random(in: -5...5, using: &g))
            case 5: return String(format: "%.2E", Double.random(in: -1e3...1e3, using: &g))
            case 6: return ["1e400", "-1e400", "1e-310", "4.9e-324", "1.7976931348623157e308"][Int.random(in: 0..<5, using: &g)]
            case 7: return ["01", "1.", ".5", "+1", "1e", "--1", "NaN", "Infinity", "0x10"][Int.random(in: 0..<9, using: &g)]
            case 8: return "1" + String(repeating: "0", count: Int.random(in: 1...80, using: &g))
            default: return String(Float.random(in: -3...3, using: &g))
            }
        }
        let space = [" ", "", "\n", "\t", "  "]
        func ws() -> String { space[Int.random(in: 0..<space.count, using: &g)] }
        let records = (0..<Int.random(in: 0...3, using: &g)).map { _ in
            "[" + (0..<Int.random(in: 0...4, using: &g)).map { _ in ws() + number() + ws() }.joined(separator: ",") + "]"
        }
        var fields = [ws() + "\"records\"" + ws() + ":" + ws() + "[" + records.joined(separator: "," + ws()) + "]"]
        switch Int.random(in: 0..<6, using: &g) {
        case 0: fields.append("\"output\":\"label\"")
        case 1: fields.append("\"output\":\"probabilities\"")
        case 2: fields.append("\"output\":\"other\"")
        case 3: fields.append("\"extra\":1")
        case 4: fields.append(fields[0])  // a duplicate key
        default: break
        }
        if Bool.random(using: &g) { fields.reverse() }
        var text = "{" + fields.joined(separator: ",") + ws() + "}"
        if Int.random(in: 0..<4, using: &g) == 0 {  // a random byte edit
            var bytes = Array(text.utf8)
            let at = Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<3, using: &g) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(Array("{[]},:\"0-e \\x".utf8).randomElement(using: &g)!, at: at)
            default: bytes[at] = UInt8.random(in: 0x20...0x7E, using: &g)
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        return text
    }

    @Test("fuzz (seeded, 20,000 bodies): whenever the reader answers, the generated decoder decodes the same records and output")
    func agreesWithTheContractsDecoder() throws {
        var g = SeededGenerator(seed: 2026)
        var fast = 0, decodable = 0
        for _ in 0..<20_000 {
            let text = Self.body(&g)
            let decoded = try? JSONDecoder().decode(Components.Schemas.PredictRequest.self, from: Data(text.utf8))
            if decoded != nil { decodable += 1 }
            guard let parsed = RecordsJSON.parse(Array(text.utf8), allowOutput: true) else { continue }
            fast += 1
            let reference = try #require(decoded, "the reader accepted what the contract refuses: \(text)")
            #expect(parsed.records == reference.records, "\(text)")
            #expect(parsed.output == reference.output?.rawValue, "\(text)")
            #expect(parsed.records.allSatisfy { $0.allSatisfy { $0.isFinite } })
        }
        // The plain shape is the common one: the reader takes most of what decodes.
        #expect(fast > decodable / 2, "fast \(fast) of \(decodable) decodable")
    }

    @Test("fuzz (seeded, 200,000 numbers): the fast path and strtod read every number to the same Double, bit for bit")
    func numbersAsStrtodReadsThem() throws {
        var g = SeededGenerator(seed: 1990)
        for _ in 0..<200_000 {
            let text: String
            switch Int.random(in: 0..<6, using: &g) {
            case 0: text = String(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &g)))
            case 1: text = String(Double.random(in: -10...10, using: &g))
            case 2: text = String(Float.random(in: -3...3, using: &g))
            case 3:  // a random significand of 1–20 digits, a random point and exponent
                let digits = String((0..<Int.random(in: 1...20, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
                let trimmed = digits.count > 1 && digits.first == "0" ? "1" + digits.dropFirst() : digits
                let point = Int.random(in: 0...trimmed.count, using: &g)
                var t = point == 0 || point == trimmed.count ? trimmed : String(trimmed.prefix(point)) + "." + trimmed.dropFirst(point)
                if Bool.random(using: &g) { t += "e" + String(Int.random(in: -40...40, using: &g)) }
                text = (Bool.random(using: &g) ? "-" : "") + t
            case 4: text = String(format: "%.\(Int.random(in: 0...17, using: &g))e", Double.random(in: -1e6...1e6, using: &g))
            default: text = "0." + String(repeating: "0", count: Int.random(in: 0...25, using: &g)) + String(Int.random(in: 1...9_999_999, using: &g))
            }
            let body = RecordsJSON.parse(Array("{\"records\":[[\(text)]]}".utf8), allowOutput: false)
            guard let reference = Double(text), reference.isFinite, reference == 0 || reference.magnitude >= Double.leastNormalMagnitude else {
                #expect(body == nil, "\(text) is not a finite normal Double, yet it was read")
                continue
            }
            let value = try #require(body?.records.first?.first, "\(text) was not read")
            #expect(value.bitPattern == reference.bitPattern, "\(text): \(value) vs strtod's \(reference)")
        }
    }

    @Test("output is refused on the private route; escapes, unknown keys and duplicates are left to the decoder")
    func leftToTheDecoder() {
        #expect(RecordsJSON.parse(Array(#"{"records":[[1]],"output":"label"}"#.utf8), allowOutput: false) == nil)
        for text in [#"{"rec\u006frds":[[1]]}"#, #"{"records":[[1]],"records":[[2]]}"#, #"{"records":[[1]],"x":0}"#,
                     #"{"records":[[1e400]]}"#, #"{"records":[[1]]} x"#, #"{"records":[[1,]]}"#, #"["records"]"#] {
            #expect(RecordsJSON.parse(Array(text.utf8), allowOutput: true) == nil, "\(text)")
        }
        #expect(RecordsJSON.parse(Array(" {\"output\" : \"label\", \"records\":[ [1, -2.5e0 ,3E-2] ,[]]}\n".utf8), allowOutput: true)
                == .init(records: [[1, -2.5, 0.03], []], output: "label"))
    }

    @Test("through the server: the plain body and the same records in a shape the reader leaves alone get the same answers and refusals")
    func sameAnswers() async throws {
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            func ask(_ body: String) async throws -> (HTTPResponse.Status, String) {
                let r = try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(body))
                var text = String(buffer: r.body)
                if let id = r.headers[HTTPField.Name("X-Request-Id")!] { text = text.replacingOccurrences(of: id, with: "ID") }
                return (r.status, text)
            }
            for (plain, escaped) in [(#"{"records":[[0.5,-1],[2,3]],"output":"label"}"#, #"{"records":[[0.5,-1],[2,3]],"outp\u0075t":"label"}"#),
                                     (#"{"records":[[0.5,-1,2]]}"#, #"{"rec\u006frds":[[0.5,-1,2]]}"#),
                                     (#"{"records":[[1e-310,1]]}"#, #"{"rec\u006frds":[[1e-310,1]]}"#),
                                     (#"{"records":[]}"#, #"{"rec\u006frds":[]}"#)] {
                let a = try await ask(plain), b = try await ask(escaped)
                #expect(a.0 == b.0 && a.1 == b.1, "\(plain): \(a) vs \(b)")
            }
        }
    }

    @Test("past the batch limit the reader stops at the first record over it, and the server refuses the batch (422) without reading the rest")
    func oversizedBatch() async throws {
        let big = "{\"records\":[" + Array(repeating: "[1,2]", count: 10_000).joined(separator: ",") + ",not json at all"
        let parsed = try #require(RecordsJSON.parse(Array(big.utf8), allowOutput: true, maxRecords: 64))
        #expect(parsed.exceeded && parsed.records.count == 65)
        let fits = try #require(RecordsJSON.parse(Array(#"{"records":[[1,2],[3,4]]}"#.utf8), allowOutput: true, maxRecords: 2))
        #expect(!fits.exceeded && fits.records == [[1, 2], [3, 4]])
        let server = try TestServer(); defer { server.remove() }
        try await server.app().test(.router) { client in
            let body = "{\"records\":[" + Array(repeating: "[1,2]", count: 65).joined(separator: ",") + "]}"
            try expectError(try await client.execute(uri: "/v1/predict", method: .post, headers: server.jsonHeaders, body: json(body)),
                            status: .unprocessableContent, code: .batchTooLarge)
        }
    }
}
