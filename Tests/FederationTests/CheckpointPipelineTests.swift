import Federation
import Foundation
import Testing
import TensorCore

/// A checkpoint target as slow as a busy disk, recording what it was asked to write.
final class SlowCheckpoints: RoundCheckpointing, @unchecked Sendable {
    let delay: Double
    private let lock = NSLock()
    private var _rounds: [Int] = []
    private var _spans: [(start: Date, end: Date)] = []
    private var _states: [[String: Tensor]] = []
    private var active = 0
    private var _overlapped = false

    init(delay: Double) { self.delay = delay }

    var rounds: [Int] { lock.withLock { _rounds } }
    /// When each write began and ended.
    var spans: [(start: Date, end: Date)] { lock.withLock { _spans } }
    var states: [[String: Tensor]] { lock.withLock { _states } }
    /// Whether two writes ever ran at once (they must not).
    var overlapped: Bool { lock.withLock { _overlapped } }

    func write(model: Sequential, round: Int, serverState: [String: Tensor], metadata: [String: String]) throws -> String {
        let start = Date()
        lock.withLock {
            active += 1
            if active > 1 { _overlapped = true }
        }
        Thread.sleep(forTimeInterval: delay)
        lock.withLock {
            _spans.append((start, Date()))
            active -= 1
            _rounds.append(round)
            _states.append(serverState)
        }
        return "slow/round-\(round)"
    }
}

@Suite("Engine: checkpoints written in the background")
struct CheckpointPipelineTests {
    @Test("rounds do not wait for a slow disk; writes are in order, one at a time, the newest round always written last")
    func slowDisk() throws {
        let fixture = try FederationFixture(privacy: false)
        let target = SlowCheckpoints(delay: 0.5)
        let engine = try Engine(configuration: fixture.configuration(rounds: 6, privacy: .off), model: fixture.model,
                                hospitals: fixture.hospitals, strategy: FedOpt(.adam), checkpoint: target)
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        // Written before the run reported its end: the final round is durable.
        #expect(target.rounds.last == 6)
        #expect(target.rounds == target.rounds.sorted() && Set(target.rounds).count == target.rounds.count)
        #expect(!target.overlapped)
        // Had each round waited for its write, every round would be written; rounds that finished while a
        // write was under way were replaced by newer ones instead.
        #expect(target.rounds.count < 6, "written: \(target.rounds)")
        // The last completed round's event comes before its checkpoint is on disk, and every write is reported.
        let written = events.filter { if case .checkpointWritten = $0.kind { true } else { false } }
        #expect(written.map(\.round) == target.rounds)
        // FedAdam's moments travel with the model.
        #expect(target.states.last?.keys.sorted() == ["server.fedopt.m", "server.fedopt.v"])
    }

    @Test("paced: after a write of d the next starts no sooner than 3·d later, unless the run's end flushes it")
    func paced() throws {
        let fixture = try FederationFixture(privacy: false)
        let target = SlowCheckpoints(delay: 0.03)
        let engine = try Engine(configuration: fixture.configuration(rounds: 40, privacy: .off), model: fixture.model,
                                hospitals: fixture.hospitals, strategy: MeanStrategy(), checkpoint: target)
        let (outcome, _) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        #expect(target.rounds.last == 40)
        let spans = target.spans
        #expect(spans.count < 40, "every round written: \(target.rounds)")
        // Every gap but the one before the final, flushed write: at least 3 × the previous write (≥ 30 ms each).
        for i in spans.indices.dropFirst().dropLast() {
            let previous = spans[i - 1], gap = spans[i].start.timeIntervalSince(previous.end)
            #expect(gap >= 3 * previous.end.timeIntervalSince(previous.start) - 0.005, "write \(i) started \(gap) s after the last")
        }
    }

    @Test("pausing flushes: by the time the engine says PAUSED, the last round's checkpoint is written")
    func pauseIsDurable() throws {
        let fixture = try FederationFixture(privacy: false)
        let target = SlowCheckpoints(delay: 0.2)
        let engine = try Engine(configuration: fixture.configuration(rounds: 4, privacy: .off), model: fixture.model,
                                hospitals: fixture.hospitals, strategy: MeanStrategy(), checkpoint: target)
        let subscription = engine.bus.subscribe(capacity: 10_000)
        engine.send(.pause)
        engine.send(.step)
        engine.start()
        var sawPausedAfterRound1 = false
        var completed = 0
        while let event = subscription.next(timeout: 30) {
            if case .roundCompleted = event.kind { completed += 1 }
            if case .phaseChanged(.paused) = event.kind, completed == 1 {
                #expect(target.rounds == [1])
                sawPausedAfterRound1 = true
                engine.send(.stop)
            }
            if case .runFinished = event.kind { break }
        }
        #expect(sawPausedAfterRound1)
        engine.wait()
    }
}
