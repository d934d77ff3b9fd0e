import Dispatch
import Foundation
import TensorCore
import Testing
@testable import Federation

/// An auditor as slow as it likes, recording the rounds it saw and whether two audits overlapped.
final class RecordingAuditor: RoundAuditor, @unchecked Sendable {
    let delay: Double
    /// When set, the audit of round 1 waits for it (a test opens it).
    let gate: DispatchSemaphore?
    private let lock = NSLock()
    private var _rounds: [Int] = []
    private var _parameterSums: [Double] = []
    private var active = 0
    private var _overlapped = false

    init(delay: Double, gate: DispatchSemaphore? = nil) {
        self.delay = delay
        self.gate = gate
    }

    var rounds: [Int] { lock.withLock { _rounds } }
    /// A fingerprint of each audited model.
    var parameterSums: [Double] { lock.withLock { _parameterSums } }
    var overlapped: Bool { lock.withLock { _overlapped } }

    func audit(model: Sequential, round: Int) -> MembershipAuditSnapshot? {
        lock.withLock {
            active += 1
            if active > 1 { _overlapped = true }
        }
        if round == 1, let gate { gate.wait() }
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
    /// A five-round federation without privacy whose live audit takes `auditDelay` seconds a round.
    static func federation(auditDelay: Double) throws -> (Engine, RecordingAuditor) {
        let fixture = try FederationFixture(privacy: false)
        let auditor = RecordingAuditor(delay: auditDelay)
        let engine = try Engine(configuration: fixture.configuration(rounds: 5, privacy: .off), model: fixture.model,
                                hospitals: fixture.hospitals, strategy: FedAvg(), auditor: auditor)
        return (engine, auditor)
    }

    @Test("every round is audited once, in order, one at a time, each on its own round's model, before the run ends")
    func everyRoundInOrder() throws {
        let (engine, auditor) = try Self.federation(auditDelay: 0.05)
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
        // Each round's snapshot follows that round's completion.
        for r in 1...5 {
            let completed = try #require(events.firstIndex { if case .roundCompleted(let s) = $0.kind { s.round == r } else { false } })
            let audit = try #require(events.firstIndex { if case .membershipAudit = $0.kind { $0.round == r } else { false } })
            #expect(completed < audit, "round \(r): audit before its completion")
        }
        // The models audited are the rounds' own: they differ from one round to the next.
        #expect(Set(auditor.parameterSums).count == 5)
    }

    @Test("at most one round queued behind the one being audited: a third submission waits until the first audit ends")
    func atMostOneQueued() throws {
        let gate = DispatchSemaphore(value: 0)
        let auditor = RecordingAuditor(delay: 0, gate: gate)
        let reported = NSLock()
        nonisolated(unsafe) var reports: [Int] = []
        let pipeline = AuditPipeline(auditor: auditor) { round, _ in reported.withLock { reports.append(round) } }
        let model = try ModelZoo.mlp(inputShape: [4], hidden: 3, classes: 2, seed: 1)
        pipeline.submit(model: model, round: 1)  // taken by the audit thread, which then waits at the gate
        pipeline.submit(model: model, round: 2)  // queued: returns once round 1 has started
        let third = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            pipeline.submit(model: model, round: 3)  // must wait: round 2 is still queued
            third.signal()
        }
        // While round 1's audit is held, round 2 stays queued and the third submission cannot return.
        #expect(third.wait(timeout: .now() + 0.5) == .timedOut)
        #expect(auditor.rounds.isEmpty)
        gate.signal()
        #expect(third.wait(timeout: .now() + 60) == .success)
        pipeline.flush()
        #expect(reported.withLock { reports } == [1, 2, 3])
        #expect(auditor.rounds == [1, 2, 3])
        #expect(!auditor.overlapped)
    }

    @Test("a paused run shows its last round's audit: the engine flushes the audit before it holds")
    func flushedBeforeHold() throws {
        let (engine, auditor) = try Self.federation(auditDelay: 0.3)
        let s = engine.bus.subscribe(capacity: 100_000)
        var events: [EngineEvent] = []
        engine.send(.pause)
        engine.start()
        #expect(EngineCommandTests().waitFor(.paused, on: s, into: &events))
        engine.send(.step)  // one round, then hold again
        #expect(EngineCommandTests().waitFor(.paused, on: s, into: &events))
        // The slow audit of round 1 was reported before the engine said it holds.
        #expect(events.contains { if case .membershipAudit = $0.kind { $0.round == 1 } else { false } })
        engine.send(.stop)
        #expect(engine.wait() == .stopped)
        #expect(auditor.rounds == [1])
    }

    @Test("flush with nothing submitted returns at once")
    func flushEmpty() {
        let pipeline = AuditPipeline(auditor: RecordingAuditor(delay: 1)) { _, _ in }
        let started = Date()
        pipeline.flush()
        #expect(Date().timeIntervalSince(started) < 0.5)
    }
}
