import Testing
import TensorCore
import Federation
@testable import Audit

@Suite("ROC curve of a membership-inference attack")
struct ROCCurveTests {
    @Test("separated scores give AUC 1 and TPR 1 at FPR 0; reversed scores give AUC 0")
    func separated() throws {
        let roc = try ROCCurve(memberScores: [5, 6, 7, 8], nonMemberScores: [1, 2, 3])
        #expect(roc.auc == 1)
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0) == 1)
        #expect(roc.bestAccuracy == 1)
        let reversed = try ROCCurve(memberScores: [1, 2, 3], nonMemberScores: [5, 6, 7, 8])
        #expect(reversed.auc == 0)
        #expect(reversed.truePositiveRate(atFalsePositiveRate: 0.01) == 0)
    }

    @Test("identical scores give AUC 0.5 (ties count one half) and a curve straight to (1, 1)")
    func ties() throws {
        let roc = try ROCCurve(memberScores: [1, 1, 1], nonMemberScores: [1, 1])
        #expect(roc.auc == 0.5)
        #expect(roc.points.count == 2)
        #expect(roc.points.last == ChartPoint(x: 1, y: 1))
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.5) == 0)
    }

    @Test("TPR at a low FPR is read at the highest threshold the FPR allows")
    func lowFPR() throws {
        // Non-members 0…99; members: 3 above every non-member, the rest at 50.5.
        let roc = try ROCCurve(memberScores: [200, 201, 202] + Array(repeating: 50.5, count: 7),
                               nonMemberScores: (0..<100).map(Double.init))
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0) == 0.3)
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.01) == 0.3)
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.48) == 0.3)
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.49) == 1)
        #expect(abs(roc.auc - (0.3 + 0.7 * 0.51)) < 1e-12)
    }

    @Test("empty sets and NaN scores are refused with a message")
    func refusals() {
        #expect(throws: AuditError.self) { try ROCCurve(memberScores: [], nonMemberScores: [1]) }
        #expect(throws: AuditError.self) { try ROCCurve(memberScores: [.nan], nonMemberScores: [1]) }
    }

    @Test("thinning keeps every point at FPR ≤ 1 % and both ends")
    func thinning() throws {
        let roc = try ROCCurve(memberScores: (0..<3000).map { Double($0) + 0.5 }, nonMemberScores: (0..<3000).map(Double.init))
        let thin = roc.thinned(to: 200)
        #expect(thin.count < 400)
        #expect(thin.first == roc.points.first && thin.last == roc.points.last)
        #expect(thin.filter { $0.x <= 0.01 }.count == roc.points.filter { $0.x <= 0.01 }.count)
    }

    @Test("the AUC from the curve equals the rank-sum (Mann–Whitney) AUC on random scores with ties")
    func aucMatchesRankSum() throws {
        var generator = SeededGenerator(seed: 17)
        for trial in 0..<50 {
            let m = 1 + Int(generator.next() % 60), n = 1 + Int(generator.next() % 60)
            // Scores on a coarse grid, so that ties within and across the two sets are common.
            let members = (0..<m).map { _ in Double(generator.next() % 12) }
            let nonMembers = (0..<n).map { _ in Double(generator.next() % 9) }
            let roc = try ROCCurve(memberScores: members, nonMemberScores: nonMembers)
            let rankSum = ModelEvaluation.areaUnderROC(scores: members + nonMembers,
                                                       positives: Array(repeating: true, count: m) + Array(repeating: false, count: n))!
            #expect(abs(roc.auc - rankSum) < 1e-12, "trial \(trial): \(roc.auc) vs \(rankSum)")
        }
    }
}
