import Foundation

/// Fans the engine's events out to subscribers, each with its own bounded buffer.
///
/// Contract:
/// - ``publish(_:)`` never blocks on a subscriber: it appends under a short lock and returns.
/// - Progress events are the only ones that may be lost: when a subscriber holds `capacity` events,
///   a new progress event replaces the pending one of the same hospital, or is dropped (counted in
///   ``EventSubscription/coalesced``). Round, privacy, command and security events are always kept;
///   a round makes a handful, so a stalled subscriber holds at most a few per round.
public final class EventBus: @unchecked Sendable {
    private let lock = NSLock()
    /// Held while an event is stamped and handed to the subscribers, so they see events in time order.
    private let ordering = NSLock()
    private var subscribers: [EventSubscription] = []

    public init() {}

    public func subscribe(capacity: Int = 1024) -> EventSubscription {
        let s = EventSubscription(capacity: capacity)
        lock.withLock { subscribers.append(s) }
        return s
    }

    public func publish(_ event: EngineEvent) {
        ordering.withLock { deliver(event) }
    }

    /// Stamps an event with the seconds since `start` and the wall time and publishes it, both under
    /// one lock: however many threads publish at once (hospitals report progress from their own),
    /// every subscriber receives the events in the order of their times.
    public func publish(round: Int, kind: EngineEvent.Kind, since start: ContinuousClock.Instant) {
        ordering.withLock {
            deliver(EngineEvent(time: (ContinuousClock.now - start) / .seconds(1), wallTime: Date().timeIntervalSince1970,
                                round: round, kind: kind))
        }
    }

    private func deliver(_ event: EngineEvent) {
        let targets = lock.withLock { subscribers }
        for s in targets { s.offer(event) }
    }

    /// Ends every subscription: readers get what is pending, then nil.
    public func close() {
        let targets = lock.withLock { subscribers }
        for s in targets { s.close() }
    }
}

/// One subscriber's buffer of events (see ``EventBus``).
public final class EventSubscription: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    private var buffer: [EngineEvent] = []
    private var head = 0
    private var closed = false
    private var _coalesced = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Progress events this subscriber lost to coalescing.
    public var coalesced: Int { condition.withLock { _coalesced } }

    func offer(_ event: EngineEvent) {
        condition.withLock {
            guard !closed else { return }
            if event.isProgress, buffer.count - head >= capacity {
                if case .progress(let hospital, _, _) = event.kind,
                   let i = buffer[head...].lastIndex(where: {
                       if case .progress(let h, _, _) = $0.kind { return h == hospital }
                       return false
                   }) {
                    buffer[i] = event
                }
                _coalesced += 1
                return
            }
            buffer.append(event)
            condition.signal()
        }
    }

    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    /// The next event, waiting up to `timeout` seconds (nil: until one arrives or the bus closes).
    /// Nil when the wait timed out, or the bus is closed and nothing is pending.
    public func next(timeout: Double? = nil) -> EngineEvent? {
        condition.withLock {
            let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
            while head == buffer.count && !closed {
                if let deadline {
                    if !condition.wait(until: deadline) { break }
                } else {
                    condition.wait()
                }
            }
            return takeLocked()
        }
    }

    /// Every pending event, without waiting.
    public func drain() -> [EngineEvent] {
        condition.withLock {
            let out = Array(buffer[head...])
            buffer.removeAll(keepingCapacity: true)
            head = 0
            return out
        }
    }

    private func takeLocked() -> EngineEvent? {
        guard head < buffer.count else { return nil }
        let e = buffer[head]
        head += 1
        if head > 256, head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        return e
    }
}

/// A subscriber that handles events on a thread of its own (the metrics writer, the audit log, the
/// headless printer), so none of them can slow the engine.
///
/// Events come in bursts (a round publishes dozens within a few milliseconds). Waking a thread per
/// event costs the engine a system call and a context switch each time, on the cores the hospitals
/// train on; so after the first event of a burst the consumer lingers for `batchInterval` and then
/// handles everything pending. Events are handled in order, at most `batchInterval` late.
public final class EventConsumer: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    /// Starts a thread that calls `handle` for each event of `subscription` until the bus closes.
    public init(_ subscription: EventSubscription, name: String, batchInterval: Double = 0.005,
                handle: @escaping @Sendable (EngineEvent) -> Void) {
        let done = self.done
        let thread = Thread {
            while let event = subscription.next() {
                handle(event)
                if batchInterval > 0 { Thread.sleep(forTimeInterval: batchInterval) }
                for pending in subscription.drain() { handle(pending) }
            }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until every event up to the bus's close has been handled.
    public func wait() { done.wait() }
}
