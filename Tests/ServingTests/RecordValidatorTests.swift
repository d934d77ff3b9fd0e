import Testing
@testable import Serving
import TensorCore

@Suite("RecordValidator: every number range-checked before arithmetic")
struct RecordValidatorTests {
    let validator = RecordValidator(featureCount: 4, maxBatch: 3, maxAbsValue: 10, maxRecordVariance: 25)

    @Test("good records pass as Float32, in order")
    func accepts() throws {
        let records: [[Double]] = [[0, 1, -2, 3.5], [9.99, 0, 0, 0]]
        #expect(try validator.validate(records) == records.map { $0.map(Float.init) })
    }

    @Test("each refusal has its code and names the first bad record and feature",
          arguments: [
            ([[0.0, 0, 0]], RecordRefusal.badShape(record: 0, expected: 4, found: 3)),
            ([[0.0, 0, 0, 0], [0, .nan, 0, 0]], .nonFinite(record: 1, feature: 1)),
            ([[0.0, .infinity, 0, 0]], .nonFinite(record: 0, feature: 1)),
            ([[0.0, 0, 1e39, 0]], .nonFinite(record: 0, feature: 2)),
            ([[0.0, 0, 0, 10.5]], .outOfRange(record: 0, feature: 3)),
            ([[1e-40, 0, 0, 0]], .sponge(record: 0, reason: "feature 0 is subnormal")),
            ([[1e-320, 0, 0, 0]], .sponge(record: 0, reason: "feature 0 is subnormal")),
            ([[10.0, -10, 10, -10]], .sponge(record: 0, reason: "variance over the bound")),
            ([[Double]](), .empty),
            (Array(repeating: [0.0, 0, 0, 0], count: 4), .batchTooLarge(count: 4, limit: 3)),
          ])
    func refuses(records: [[Double]], refusal: RecordRefusal) {
        #expect(throws: refusal) { try validator.validate(records) }
        #expect(!refusal.code.isEmpty && !refusal.detail.contains("1e+39"))
    }

    @Test("random batches (seeded) are either accepted whole or refused with a code, never a crash; accepted ones obey every bound")
    func fuzz() {
        var g = SeededGenerator(seed: 20)
        let specials: [Double] = [.nan, .infinity, -.infinity, 1e-310, 1e-40, 3.5e38, 1e308, -0.0, 0, 10, -10, 10.000001]
        for _ in 0..<2_000 {
            let n = Int.random(in: 0...4, using: &g)
            let records = (0..<n).map { _ in
                (0..<Int.random(in: 2...6, using: &g)).map { _ in
                    Bool.random(using: &g) ? specials.randomElement(using: &g)! : Double.random(in: -12...12, using: &g)
                }
            }
            do {
                let accepted = try validator.validate(records)
                #expect(accepted.count == n && accepted.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.isFinite && abs($0) <= 10 && !$0.isSubnormal } })
            } catch {
                #expect(!error.code.isEmpty)
            }
        }
    }
}
