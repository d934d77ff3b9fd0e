/// Where a `.cast` playback is and what it writes next, with no terminal and no clock: the position
/// (the next event), the playback clock in recording seconds (pauses longer than `maxIdle` shortened),
/// the speed, pause, one-event steps, and jumps to the next or previous marker (asciicast `"m"` events).
///
/// Contract: every method returns the terminal output to write, in order; nothing else is written.
/// Going back (``previousMarker()``) clears the screen and returns every output event from the start
/// up to that marker, written at once. Speeds stay within ``speedRange`` (a starting speed outside it
/// widens it). ``CastPlayer`` drives a timeline from a terminal.
public struct CastTimeline: Sendable {
    /// Output that clears the screen before a recording is drawn again from its start.
    public static let clear = "\u{1b}[0m\u{1b}[H\u{1b}[2J"

    public let cast: CastPlayer.Cast
    /// Each event's time on the playback clock: recorded gaps longer than `maxIdle` shortened to it.
    public let times: [Double]
    /// Indices of the marker events, in order.
    public let markers: [Int]
    /// The next event to play (`events.count` at the end).
    public private(set) var index = 0
    /// Recording seconds played so far.
    public private(set) var clock = 0.0
    public private(set) var speed: Double
    public private(set) var paused = false
    /// The slowest and fastest speeds `-` and `+` reach (each press halves or doubles).
    public let speedRange: ClosedRange<Double>

    public init(cast: CastPlayer.Cast, speed: Double = 1, maxIdle: Double = 2) {
        self.cast = cast
        var times: [Double] = []
        var last = 0.0, now = 0.0
        for e in cast.events {
            now += min(maxIdle, max(0, e.time - last))
            last = e.time
            times.append(now)
        }
        self.times = times
        markers = cast.events.indices.filter { cast.events[$0].code == "m" }
        self.speed = speed
        speedRange = min(1.0 / 16, speed)...max(256, speed)
    }

    public var isFinished: Bool { index >= cast.events.count }

    /// Wall-clock seconds until the next event is due; nil when paused or at the end.
    public var secondsToNext: Double? {
        guard !paused, !isFinished else { return nil }
        return max(0, times[index] - clock) / speed
    }

    /// Markers passed so far (the one just jumped to included).
    public var markersPassed: Int { markers.filter { $0 < index }.count }

    /// One line on the playback: speed, paused or not, position, markers.
    public var status: String {
        let rate = speed < 1 ? "\(speed)" : speed == speed.rounded() ? "\(Int(speed))" : "\(speed)"
        let state = isFinished ? "end" : paused ? "paused" : "playing"
        var line = "fedtop replay \(rate)x \(state) \(index)/\(cast.events.count)"
        if !markers.isEmpty { line += " marker \(markersPassed)/\(markers.count)" }
        return line
    }

    /// Plays `seconds` of wall time (nothing while paused): the output of the events now due.
    public mutating func advance(by seconds: Double) -> String {
        guard !paused else { return "" }
        clock += max(0, seconds) * speed
        let now = clock
        return release(to: times[index...].firstIndex { $0 > now } ?? times.count)
    }

    public mutating func togglePause() { paused.toggle() }

    public mutating func faster() { speed = min(speed * 2, speedRange.upperBound) }
    public mutating func slower() { speed = max(speed / 2, speedRange.lowerBound) }

    /// Pauses, and plays up to and including the next output event (one frame).
    public mutating func step() -> String {
        paused = true
        guard let next = cast.events[index...].firstIndex(where: { $0.code == "o" }) else { return release(to: times.count) }
        clock = max(clock, times[next])
        return release(to: next + 1)
    }

    /// Plays everything up to and including the next marker (to the end when there is none).
    public mutating func nextMarker() -> String {
        guard let next = markers.first(where: { $0 >= index }) else {
            clock = max(clock, times.last ?? clock)
            return release(to: times.count)
        }
        clock = max(clock, times[next])
        return release(to: next + 1)
    }

    /// Goes back to the last marker passed — or, within a second (of wall time) of it, to the one
    /// before, so that `p` pressed twice, or right after `n`, keeps going back; the start when there is
    /// none. Clears the screen and draws everything up to it at once.
    public mutating func previousMarker() -> String {
        let now = clock, grace = speed
        let target = markers.last(where: { $0 < index && now - times[$0] > grace })
        let end = target.map { $0 + 1 } ?? 0
        index = 0
        clock = target.map { times[$0] } ?? 0
        return Self.clear + release(to: end)
    }

    /// Plays the events from `index` up to (not including) `end`; returns their output.
    private mutating func release(to end: Int) -> String {
        var out = ""
        while index < min(end, cast.events.count) {
            let e = cast.events[index]
            switch e.code {
            case "o": out += e.data
            case "r":
                // A recorded resize is not replayed as a window resize (CSI 8 t would change the
                // viewer's own terminal and nothing would restore it); the frames that follow redraw.
                break
            default: break
            }
            index += 1
        }
        return out
    }
}
