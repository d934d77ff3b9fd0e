import Audit
import Federation
import TensorCore
import Testing
@testable import RunConfiguration

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

    @Test("malicious=nan, inf, scale=K and counts forge what leaves the hospital; a bad scale is refused")
    func forgeries() throws {
        #expect(try SimulationSpec(parsing: "h:malicious=nan").malice == .forge(.nan))
        #expect(try SimulationSpec(parsing: "h:malicious=inf").malice == .forge(.infinity))
        #expect(try SimulationSpec(parsing: "h:malicious=scale=1e6,delay=0").malice == .forge(.scale(1e6)))
        #expect(try SimulationSpec(parsing: "h:malicious=counts").malice == .forge(.wrongCounts))
        #expect(throws: UsageError.self) { try SimulationSpec(parsing: "h:malicious=scale=abc") }
        #expect(throws: UsageError.self) { try SimulationSpec(parsing: "h:malicious=scale=0") }
        let attack = try #require(try SimulationSpec(parsing: "h:malicious=counts").attack(featureShape: [30], hospitals: 3))
        var update = HospitalUpdate(hospital: "h", round: 1, delta: Tensor([1, 2]), sampleCount: 10, trainLoss: 0.1,
                                    clippedFraction: 0, spend: nil, epsilonSpent: nil, secureNoise: true, seconds: 0)
        attack.forge(&update)
        #expect(update.sampleCount == Int.max)
        let nan = try #require(try SimulationSpec(parsing: "h:malicious=nan").attack(featureShape: [30], hospitals: 3))
        nan.forge(&update)
        #expect(update.delta.scalars.allSatisfy(\.isNaN) && update.trainLoss.isNaN)
    }
}
