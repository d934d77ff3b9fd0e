import Foundation
import TensorCore
import Testing
@testable import Federation

/// An auditor as slow as it likes, recording the rounds it saw and whether two audits overlapped.
final class RecordingAuditor: RoundAuditor, @unchecked Sendable {
    let delay: Double
    private let lock = NSLock()
    private var _rounds: [Int] = []
    private var _parameterSums: [Double] = []
    private var active = 0
    private var _overlapped = false

    init(delay: Double) { self.delay = delay }

    var rounds: [Int] { lock.withLock { _rounds } }
    /// A fingerprint of each audited model.
    var parameterSums: [Double] { lock.withLock { _parameterSums } }
    var overlapped: Bool { lock.withLock { _overlapped } }

    func audit(model: Sequential, round: Int) -> MembershipAuditSnapshot? {
        lock.withLock {
            active += 1
            if active > 1 { _overlapped = true }
        }
        Thread.sleep(forTimeInterval: delay)
        let sum = model.parameters.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } }
        lock.withLock {
            active -= 1
            _rounds.append(round)
            _parameterSums.append(sum)
        }
        return MembershipAuditSnapshot(attack: "recording", auc: 0.5 + Double(round) / 100, tprAt1Percent: 0, members: round)
    }
}

@Suite("Engine: the live audit beside the next round")
struct AuditPipelineTests {
    @Test("every round is audited once, in order, one at a time, each on its own round's model, before the run ends")
    func everyRoundInOrder() throws {
        let fixture = try FederationFixture(privacy: false)
        let auditor = RecordingAuditor(delay: 0.05)
        let engine = try Engine(configuration: fixture.configuration(rounds: 5, privacy: .off), model: fixture.model,
                                hospitals: fixture.hospitals, strategy: FedAvg(), auditor: auditor)
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        #expect(auditor.rounds == [1, 2, 3, 4, 5])
        #expect(!auditor.overlapped)
        // Each snapshot is reported under the round it measured, and all before the run's end.
        let audited = events.compactMap { e -> (Int, Int)? in
            if case .membershipAudit(let s) = e.kind { (e.round, s.members) } else { nil }
        }
        #expect(audited.map(\.0) == [1, 2, 3, 4, 5])
        #expect(audited.allSatisfy { $0.0 == $0.1 })
        let finishedAt = try #require(events.firstIndex { if case .runFinished = $0.kind { true } else { false } })
        let lastAudit = try #require(events.lastIndex { if case .membershipAudit = $0.kind { true } else { false } })
        #expect(lastAudit < finishedAt)
        // The models audited are the rounds' own: they differ from one round to the next.
        #expect(Set(auditor.parameterSums).count == 5)
    }

    @Test("a slow audit holds the round back by at most one round: submit waits while an earlier round waits")
    func atMostOneBehind() throws {
        let auditor = RecordingAuditor(delay: 0.2)
        let reported = NSLock()
        nonisolated(unsafe) var reports: [Int] = []
        let pipeline = AuditPipeline(auditor: auditor) { round, _ in reported.withLock { reports.append(round) } }
        let model = try ModelZoo.mlp(inputShape: [4], hidden: 3, classes: 2, seed: 1)
        let started = Date()
        pipeline.submit(model: model, round: 1)  // starts at once
        pipeline.submit(model: model, round: 2)  // waits behind round 1
        let afterTwo = Date().timeIntervalSince(started)
        pipeline.submit(model: model, round: 3)  // must wait until round 2 has started, i.e. round 1 is done
        let afterThree = Date().timeIntervalSince(started)
        #expect(afterTwo < 0.15, "two submissions should not wait: \(afterTwo) s")
        #expect(afterThree >= 0.15, "the third submission should have waited for the first audit: \(afterThree) s")
        pipeline.flush()
        #expect(Date().timeIntervalSince(started) >= 0.55)
        #expect(reported.withLock { reports } == [1, 2, 3])
        #expect(auditor.rounds == [1, 2, 3])
        #expect(!auditor.overlapped)
    }

    @Test("flush with nothing submitted returns at once")
    func flushEmpty() {
        let pipeline = AuditPipeline(auditor: RecordingAuditor(delay: 1)) { _, _ in }
        let started = Date()
        pipeline.flush()
        #expect(Date().timeIntervalSince(started) < 0.5)
    }
}
