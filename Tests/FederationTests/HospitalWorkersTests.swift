import Foundation
import Testing
@testable import Federation

/// Counts jobs and the most that ran at once.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private var _peak = 0
    private var _done: [Int] = []
    var peak: Int { lock.withLock { _peak } }
    var done: [Int] { lock.withLock { _done } }
    func begin() { lock.withLock { running += 1; _peak = max(_peak, running) } }
    func end(_ job: Int) { lock.withLock { running -= 1; _done.append(job) } }
}

@Suite("Engine: the threads hospitals are called on")
struct HospitalWorkersTests {
    @Test("every job runs once, on at most the limit's threads, several at once")
    func limitAndCompleteness() {
        let workers = HospitalWorkers(limit: 4)
        let tally = Tally()
        let group = DispatchGroup()
        for job in 0..<200 {
            group.enter()
            workers.async {
                tally.begin()
                usleep(500)
                tally.end(job)
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(tally.done.sorted() == Array(0..<200))
        #expect(tally.peak <= 4)
        #expect(tally.peak >= 2, "jobs that sleep should overlap")
        #expect(workers.threadCount <= 4)
    }

    @Test("a job that blocks (a ledger's fsync, a remote call) does not hold up the others")
    func blockedJobDoesNotStall() {
        let workers = HospitalWorkers(limit: HospitalWorkers.limit(cores: 1, remoteHospitals: 0))
        #expect(workers.limit == 4)
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        group.enter()
        workers.async { release.wait(); group.leave() }   // blocks until the others have run
        let others = DispatchGroup()
        for _ in 0..<50 {
            others.enter()
            workers.async { others.leave() }
        }
        #expect(others.wait(timeout: .now() + 10) == .success)
        release.signal()
        #expect(group.wait(timeout: .now() + 10) == .success)
    }

    @Test("idle threads end, so a finished engine leaves none behind for long")
    func idleThreadsEnd() {
        let workers = HospitalWorkers(limit: 3)
        let group = DispatchGroup()
        for _ in 0..<6 {
            group.enter()
            workers.async { usleep(1_000); group.leave() }
        }
        #expect(group.wait(timeout: .now() + 10) == .success)
        #expect(workers.threadCount >= 1)
        let deadline = Date(timeIntervalSinceNow: HospitalWorkers.idleSeconds + 5)
        while workers.threadCount > 0, Date() < deadline { usleep(50_000) }
        #expect(workers.threadCount == 0)
    }

    @Test("the limit: twice the cores and two, one more per remote hospital, at most 256")
    func limits() {
        #expect(HospitalWorkers.limit(cores: 2, remoteHospitals: 0) == 6)
        #expect(HospitalWorkers.limit(cores: 2, remoteHospitals: 3) == 9)
        #expect(HospitalWorkers.limit(cores: 16, remoteHospitals: 1_000) == 256)
    }
}
