import Federation
import Foundation

/// The hospital's status as its `Status` streams send it: the state, the round, the steps done in
/// it, ε spent. Every change is offered to every subscriber; a slow subscriber sees the newest value
/// (each keeps one, older ones are replaced), so a stalled console never holds up training.
///
/// Contract: thread-safe; ``subscribe()`` returns a stream that starts with the current value and ends
/// when ``unsubscribe(_:)`` or ``finishAll()`` is called.
final class StatusBoard: @unchecked Sendable {
    struct Value: Sendable, Equatable {
        var state: HospitalStatus = .idle
        var round = 0
        var stepsDone = 0
        var stepsTotal = 0
        var epsilonSpent = 0.0
    }

    private let lock = NSLock()
    private var value = Value()
    private var subscribers: [UInt64: AsyncStream<Value>.Continuation] = [:]
    private var nextID: UInt64 = 0

    var current: Value {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func update(_ change: (inout Value) -> Void) {
        lock.lock()
        var v = value
        change(&v)
        guard v != value else { lock.unlock(); return }
        value = v
        let targets = Array(subscribers.values)
        lock.unlock()
        for c in targets { c.yield(v) }
    }

    /// Sends the current value again to every subscriber (a heartbeat).
    func repeatCurrent() {
        lock.lock()
        let (v, targets) = (value, Array(subscribers.values))
        lock.unlock()
        for c in targets { c.yield(v) }
    }

    func subscribe() -> (id: UInt64, stream: AsyncStream<Value>) {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(1))
        lock.lock()
        nextID += 1
        let id = nextID
        subscribers[id] = continuation
        continuation.yield(value)
        lock.unlock()
        return (id, stream)
    }

    func unsubscribe(_ id: UInt64) {
        lock.lock()
        let c = subscribers.removeValue(forKey: id)
        lock.unlock()
        c?.finish()
    }

    func finishAll() {
        lock.lock()
        let all = Array(subscribers.values)
        subscribers.removeAll()
        lock.unlock()
        for c in all { c.finish() }
    }
}
