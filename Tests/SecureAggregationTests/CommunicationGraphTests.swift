import Foundation
import Testing
@testable import SecureAggregation

@Suite("Communication graph")
struct CommunicationGraphTests {
    @Test("below 64 hospitals the graph is complete; above, a Harary graph of even degree O(log n), symmetric",
          arguments: [2, 10, 63, 64, 100, 500])
    func shape(n: Int) {
        let g = CommunicationGraph.forFederation(n)
        if n < 64 {
            #expect(g.isComplete)
            #expect(g.neighbours(of: 1).count == n - 1)
        } else {
            #expect(!g.isComplete)
            #expect(g.degree % 2 == 0 && g.degree <= 4 * Int(log2(Double(n))) + 2)
        }
        for id in 1...UInt32(n) {
            let ns = g.neighbours(of: id)
            #expect(!ns.contains(id))
            #expect(ns.count == g.degree)
            for v in ns { #expect(g.neighbours(of: v).contains(id)) }
        }
    }

    @Test("parameters refuse a threshold that is not a majority of each neighbourhood")
    func thresholds() throws {
        #expect(throws: SecAggError.self) { try SecAggParameters(runID: "r", round: 1, graph: .complete(10), threshold: 5, vectorLength: 4) }
        #expect(throws: SecAggError.self) { try SecAggParameters(runID: "r", round: 1, graph: .complete(10), threshold: 11, vectorLength: 4) }
        #expect(throws: SecAggError.self) { try SecAggParameters(runID: "r", round: 1, graph: .complete(1), threshold: 1, vectorLength: 4) }
        _ = try SecAggParameters(runID: "r", round: 1, graph: .complete(10), threshold: 6, vectorLength: 4)
        #expect(SecAggParameters.defaultThreshold(for: .complete(10)) == 6)
    }
}
