import Foundation

/// Plays an asciicast v2 file back as recorded: its output events written to a terminal at their
/// recorded times (divided by `speed`; pauses longer than `maxIdle` seconds shortened).
public struct CastPlayer {
    /// A parsed recording.
    public struct Cast: Sendable {
        public var width: Int
        public var height: Int
        public var title: String?
        /// `(seconds, code, data)` with code `o`, `m`, `r` (or others, which are kept and ignored).
        public var events: [(time: Double, code: String, data: String)]
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

    /// Writes the output events to `write` at their times; returns the number of markers passed.
    @discardableResult
    public func play(_ write: (String) -> Void) -> Int {
        var last = 0.0
        var markers = 0
        for e in cast.events {
            let wait = min(maxIdle, e.time - last) / speed
            if wait > 0.001 { Thread.sleep(forTimeInterval: wait) }
            last = e.time
            switch e.code {
            case "o": write(e.data)
            case "m": markers += 1
            case "r":
                let parts = e.data.split(separator: "x")
                if parts.count == 2 { write("\u{1b}[8;\(parts[1]);\(parts[0])t") }
            default: break
            }
        }
        write("\u{1b}[0m\r\n")
        return markers
    }
}
