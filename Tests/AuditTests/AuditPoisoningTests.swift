import Audit
import Federation
import Testing

@Suite("The sweep's poisoning attacks")
struct AuditPoisoningTests {
    @Test("flip and backdoor become their attacks, honest none; the backdoor's boost is the number of hospitals")
    func attacks() throws {
        #expect(try AuditPoisoning.honest.simulatedHospital("hospital-5", featureShape: [64], hospitals: 5).attack == nil)
        #expect(try AuditPoisoning.flip.simulatedHospital("hospital-5", featureShape: [64], hospitals: 5).attack is LabelFlipping)
        let backdoor = try #require(try AuditPoisoning.backdoor.simulatedHospital("hospital-5", featureShape: [64], hospitals: 5).attack
                                    as? PixelBackdoor)
        #expect(backdoor.boost == 5)
        #expect(AuditPoisoning(rawValue: "backdoor") == .backdoor && AuditPoisoning(rawValue: "nan") == nil)
    }

    @Test("a backdoor on tabular records is a setting error naming the hospital")
    func backdoorOnTabularData() {
        #expect {
            _ = try AuditPoisoning.backdoor.simulatedHospital("hospital-3", featureShape: [30], hospitals: 3)
        } throws: { error in
            guard case .setting(let message) = error as? AuditSweepError else { return false }
            return message.contains("hospital-3") && message.contains("backdoor")
        }
    }
}
