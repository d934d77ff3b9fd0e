import Console
import Federation
import Foundation
import Testing

@Suite("Federation facts: the majority-class baseline, and journals written before it")
struct FederationFactsTests {
    @Test("the baseline is the most common class's share of the evaluation set")
    func majorityShare() {
        #expect(FederationFacts.majorityShare(classCounts: [268, 134]) == 268.0 / 402)
        #expect(FederationFacts.majorityShare(classCounts: [1, 5, 4]) == 0.5)
        #expect(FederationFacts.majorityShare(classCounts: []) == nil)
        #expect(FederationFacts.majorityShare(classCounts: [0, 0]) == nil)
    }

    @Test("facts without a baseline (an older journal) still decode; a baseline survives the round trip")
    func codable() throws {
        var facts = Scenario.facts
        let old = try JSONEncoder().encode(facts)
        #expect(!String(decoding: old, as: UTF8.self).contains("majorityBaseline"))
        #expect(try JSONDecoder().decode(FederationFacts.self, from: old).majorityBaseline == nil)
        facts.majorityBaseline = 0.67
        let new = try JSONDecoder().decode(FederationFacts.self, from: try JSONEncoder().encode(facts))
        #expect(new == facts)
    }
}
