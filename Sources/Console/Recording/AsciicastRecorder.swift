import Foundation

/// Records what the console shows as an asciicast v2 file (the format `asciinema play` and
/// `asciinema cat` read): a JSON header line (version 2, width, height, timestamp, title, env),
/// then one JSON array per event — `[seconds, "o", text]` for output, `[seconds, "m", label]` for a
/// marker, `[seconds, "r", "COLSxROWS"]` for a resize.
///
/// Contract: the output events replay the screen exactly (each frame sends only the cells that
/// changed, a resize sends a full frame); times are seconds since the recording started, never
/// decreasing; ``close()`` flushes the file. Spec: https://docs.asciinema.org/manual/asciicast/v2/
public final class AsciicastRecorder {
    public let path: String
    private let handle: FileHandle
    private let started = Date()
    private var previous: Screen?
    private var lastTime = 0.0
    public var encoder: AnsiEncoder
    public private(set) var markers = 0

    /// Creates (or replaces) the file and writes the header.
    public init(path: String, width: Int, height: Int, title: String, encoder: AnsiEncoder,
                timestamp: Date = Date()) throws(ConsoleError) {
        self.path = path
        self.encoder = encoder
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw .recording("cannot create \(path)")
        }
        handle = h
        let header: [String: Any] = ["version": 2, "width": width, "height": height,
                                     "timestamp": Int(timestamp.timeIntervalSince1970), "title": title,
                                     "env": ["TERM": "xterm-256color", "SHELL": "/bin/sh"]]
        write(json(header))
    }

    /// Seconds since the recording started (never decreasing).
    public func now() -> Double {
        lastTime = max(lastTime, Date().timeIntervalSince(started))
        return lastTime
    }

    /// Records a frame: the bytes that change the last frame into this one (nothing if none changed).
    public func frame(_ screen: Screen) {
        if let p = previous, p.width != screen.width || p.height != screen.height {
            write(json([now(), "r", "\(screen.width)x\(screen.height)"] as [Any]))
            previous = nil
        }
        let text = encoder.encode(screen, since: previous)
        previous = screen
        guard !text.isEmpty else { return }
        write(json([now(), "o", text] as [Any]))
    }

    /// Forces the next frame to be sent in full (after a theme change).
    public func invalidate() { previous = nil }

    /// Adds a marker (asciinema's `m` event) with a label.
    public func marker(_ label: String) {
        markers += 1
        write(json([now(), "m", label] as [Any]))
    }

    public func close() {
        try? handle.synchronize()
        try? handle.close()
    }

    private func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }

    private func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The journal's path for a recording: `demo.cast` → `demo.journal.jsonl`.
    public static func journalPath(for castPath: String) -> String {
        (castPath.hasSuffix(".cast") ? String(castPath.dropLast(5)) : castPath) + ".journal.jsonl"
    }
}
