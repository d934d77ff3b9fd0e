import Audit
import Federation
import Testing
@testable import fedtop

@Suite("--simulate: a simulated hospital's misbehaviour")
struct SimulationSpecTests {
    @Test("malicious=true and flip flip labels; backdoor builds a pixel trigger boosted by the number of hospitals")
    func malice() throws {
        #expect(try SimulationSpec(parsing: "hospital-2:malicious=true").malice == .flip)
        #expect(try SimulationSpec(parsing: "hospital-2:malicious=flip").attack(featureShape: [64], hospitals: 5) is LabelFlipping)
        let backdoor = try #require(try SimulationSpec(parsing: "hospital-2:malicious=backdoor").attack(featureShape: [64], hospitals: 5) as? PixelBackdoor)
        #expect(backdoor.updateScale == 5 && backdoor.targetClass == 0)
        #expect(try SimulationSpec(parsing: "hospital-2:malicious=false").attack(featureShape: [64], hospitals: 5) == nil)
    }

    @Test("a backdoor on tabular data and an unknown malice are refused with the hospital's name")
    func refusals() throws {
        #expect(throws: UsageError.self) { try SimulationSpec(parsing: "hospital-2:malicious=backdoor").attack(featureShape: [30], hospitals: 3) }
        do {
            _ = try SimulationSpec(parsing: "hospital-3:malicious=maybe")
            Issue.record("accepted malicious=maybe")
        } catch {
            #expect("\(error)".contains("hospital-3") && "\(error)".contains("backdoor"))
        }
    }
}
