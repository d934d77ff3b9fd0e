import Federation
import Foundation

/// Where a console session's events come from and where its commands go: a running engine
/// (``EngineFeed``) or a journal (``ReplayFeed``). The session polls it between key presses.
public protocol ConsoleFeed: AnyObject {
    /// Events due now, without waiting.
    func poll() -> [EngineEvent]
    /// Sends a command to the engine (a replay ignores them).
    func send(_ command: EngineCommand)
    /// True once no more events will come.
    var isFinished: Bool { get }
    /// Seconds on the events' clock now.
    var now: Double { get }
    /// A replay's position and speed for the footer; nil live.
    var replayStatus: String? { get }
    /// A replay's recorded forecast; nil live (the session projects itself).
    var recordedForecast: PrivacyForecast? { get }
    func control(_ control: ReplayControl)
}

/// A live engine: events from its bus, commands to its inbox.
public final class EngineFeed: ConsoleFeed {
    private let subscription: EventSubscription
    private let sender: (EngineCommand) -> Void
    private let started = ContinuousClock.now
    public private(set) var isFinished = false

    public init(subscription: EventSubscription, send: @escaping (EngineCommand) -> Void) {
        self.subscription = subscription
        sender = send
    }

    public func poll() -> [EngineEvent] {
        let events = subscription.drain()
        if events.contains(where: { if case .runFinished = $0.kind { return true }; return false }) { isFinished = true }
        return events
    }

    public func send(_ command: EngineCommand) { sender(command) }

    public var now: Double {
        (ContinuousClock.now - started) / .seconds(1)
    }

    public var replayStatus: String? { nil }
    public var recordedForecast: PrivacyForecast? { nil }
    public func control(_ control: ReplayControl) {}
}

/// A journal played back on a virtual clock: `speed`× real time, paused, stepped an event at a
/// time, or jumped to the next marker; no compute, no engine.
public final class ReplayFeed: ConsoleFeed {
    private let lines: [JournalLine]
    private var index = 0
    private var clock = 0.0
    private var lastWall = Date()
    public private(set) var speed: Double
    public private(set) var paused = false
    public private(set) var recordedForecast: PrivacyForecast?

    public init(lines: [JournalLine], speed: Double) {
        self.lines = lines
        self.speed = speed
        clock = lines.first?.at ?? 0
    }

    public var isFinished: Bool { index >= lines.count }
    public var now: Double { clock }

    public func poll() -> [EngineEvent] {
        let wall = Date()
        if !paused { clock += wall.timeIntervalSince(lastWall) * speed }
        lastWall = wall
        return release(upTo: clock)
    }

    private func release(upTo time: Double) -> [EngineEvent] {
        var out: [EngineEvent] = []
        while index < lines.count, lines[index].at <= time {
            let line = lines[index]
            if let e = line.event { out.append(e) }
            if let f = line.forecast { recordedForecast = f }
            index += 1
        }
        return out
    }

    public func send(_ command: EngineCommand) {}

    public var replayStatus: String? {
        "replay \(fmt(speed, speed < 1 ? 2 : 1))x \(paused ? "paused " : "")\(index)/\(lines.count)"
    }

    public func control(_ control: ReplayControl) {
        switch control {
        case .togglePause: paused.toggle()
        case .faster: speed = min(speed * 2, 256)
        case .slower: speed = max(speed / 2, 1.0 / 16)
        case .step:
            paused = true
            // The next event that is not progress inside a round, and everything before it.
            if let next = lines[index...].firstIndex(where: { $0.event.map { !$0.isProgress } ?? false }) {
                clock = max(clock, lines[next].at)
            }
        case .nextMarker:
            if let next = lines[index...].firstIndex(where: { $0.marker != nil }) {
                clock = max(clock, lines[next].at)
            } else if let last = lines.last {
                clock = max(clock, last.at)
            }
        }
        lastWall = Date()
    }
}
