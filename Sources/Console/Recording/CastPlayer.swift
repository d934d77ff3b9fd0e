import Foundation

/// Plays an asciicast v2 file back as recorded: its output events written to a terminal at their
/// recorded times (divided by `speed`; pauses longer than `maxIdle` seconds shortened), in the
/// alternate screen, with the replay keys (a ``CastTimeline`` keeps the position); the terminal is
/// left as it was found whichever way playback ends.
public struct CastPlayer {
    /// A parsed recording.
    public struct Cast: Sendable {
        public var width: Int
        public var height: Int
        public var title: String?
        /// `(seconds, code, data)` with code `o`, `m`, `r` (or others, which are kept and ignored).
        public var events: [(time: Double, code: String, data: String)]

        public init(width: Int, height: Int, title: String? = nil, events: [(time: Double, code: String, data: String)]) {
            self.width = width
            self.height = height
            self.title = title
            self.events = events
        }
    }

    /// Reads and checks a cast file; errors name the file and the line.
    public static func read(_ path: String) throws(ConsoleError) -> Cast {
        guard let data = FileManager.default.contents(atPath: path) else { throw .recording("cannot read \(path)") }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first,
              let header = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any] else {
            throw .recording("\(path):1: not an asciicast header (a JSON object)")
        }
        guard header["version"] as? Int == 2 else { throw .recording("\(path):1: asciicast version \(header["version"] ?? "missing"), expected 2") }
        guard let width = header["width"] as? Int, let height = header["height"] as? Int, width > 0, height > 0 else {
            throw .recording("\(path):1: the header needs a positive width and height")
        }
        var events: [(Double, String, String)] = []
        var last = 0.0
        for (i, raw) in lines.enumerated().dropFirst() {
            guard let array = try? JSONSerialization.jsonObject(with: Data(raw)) as? [Any], array.count == 3,
                  let time = (array[0] as? NSNumber)?.doubleValue, let code = array[1] as? String, let text = array[2] as? String else {
                throw .recording("\(path):\(i + 1): expected [seconds, code, data]")
            }
            guard time >= last, time.isFinite else { throw .recording("\(path):\(i + 1): time \(time) goes backwards") }
            last = time
            events.append((time, code, text))
        }
        return Cast(width: width, height: height, title: header["title"] as? String, events: events)
    }

    public let cast: Cast
    public var speed: Double
    public var maxIdle: Double

    public init(cast: Cast, speed: Double = 1, maxIdle: Double = 2) {
        self.cast = cast
        self.speed = speed
        self.maxIdle = maxIdle
    }

    /// What the player writes first: the alternate screen (so the shell's screen comes back as it
    /// was), the window title saved, the screen cleared, the cursor hidden.
    public static let enterScreen = "\u{1b}[?1049h\u{1b}[22;0t\u{1b}[0m\u{1b}[H\u{1b}[2J\u{1b}[?25l"
    /// What it writes last, whichever way playback ends: attributes reset, scroll region and cursor
    /// back, mouse reporting off, the alternate screen left, the window title restored.
    public static let leaveScreen = "\u{1b}[0m\u{1b}[r\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1006l\u{1b}[?25h\u{1b}[?1049l\u{1b}[23;0t"

    /// Plays the recording with the replay keys: space pauses and resumes, `s` plays one frame while
    /// paused, `n`/`p` jump to the next/previous marker, `+`/`-` double/halve the speed, `q`, Esc or
    /// Ctrl-C quit. `key(timeout)` waits up to `timeout` seconds (nil: until a key) and returns the
    /// key or nil; `rows` is the terminal's height (the end notice goes on its last row). The state
    /// goes to the window title (OSC 2), never over the recorded frame. At the end it shows
    /// "end of recording" and waits for `q` (or `p` to go back). ``leaveScreen`` is always written
    /// last. Returns the timeline as it ended.
    @discardableResult
    public func play(rows: Int, key: (Double?) -> Key?, write: (String) -> Void,
                     clock: () -> Double = { Date().timeIntervalSinceReferenceDate }) -> CastTimeline {
        var timeline = CastTimeline(cast: cast, speed: speed, maxIdle: maxIdle)
        write(Self.enterScreen + Self.title(timeline.status))
        defer { write(Self.leaveScreen) }
        var last = clock()
        var shownEnd = false
        while true {
            if timeline.isFinished, !shownEnd {
                shownEnd = true
                write(Self.title(timeline.status) + "\u{1b}[\(max(1, rows));1H\u{1b}[0m\u{1b}[2K\u{1b}[7m end of recording — q quits, p goes back \u{1b}[0m")
            }
            let pressed = key(timeline.secondsToNext)
            let now = clock()
            let output = timeline.advance(by: now - last)
            last = now
            if !output.isEmpty { write(output) }
            guard let pressed else { continue }
            let before = timeline.status
            switch pressed {
            case .character("q"), .escape, .interrupt: return timeline
            case .character(" "): timeline.togglePause()
            case .character("s"): write(timeline.step())
            case .character("n"): write(timeline.nextMarker())
            case .character("p"): write(timeline.previousMarker()); shownEnd = timeline.isFinished && shownEnd
            case .character("+"), .character("="): timeline.faster()
            case .character("-"), .character("_"): timeline.slower()
            default: break
            }
            if timeline.status != before { write(Self.title(timeline.status)) }
        }
    }

    /// OSC 2: sets the window title (how the state shows without touching the recorded frame).
    static func title(_ text: String) -> String { "\u{1b}]2;\(text)\u{07}" }
}
