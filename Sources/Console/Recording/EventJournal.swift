import Federation
import Foundation

/// One line of an event journal (JSON lines): the header (`journal`, `facts`, `title`) first, then
/// engine events, the privacy forecasts the console showed, and markers, each with its time.
public struct JournalLine: Codable, Sendable, Equatable {
    /// Format version, on the header line only.
    public var journal: Int?
    public var facts: FederationFacts?
    public var title: String?
    public var event: EngineEvent?
    public var forecast: PrivacyForecast?
    public var marker: String?
    /// Seconds on the engine's clock (events carry their own).
    public var time: Double?

    public init(journal: Int? = nil, facts: FederationFacts? = nil, title: String? = nil, event: EngineEvent? = nil,
                forecast: PrivacyForecast? = nil, marker: String? = nil, time: Double? = nil) {
        self.journal = journal
        self.facts = facts
        self.title = title
        self.event = event
        self.forecast = forecast
        self.marker = marker
        self.time = time
    }

    /// When this line happened.
    public var at: Double { event?.time ?? time ?? 0 }
}

/// Writes the engine's events (with forecasts and markers) as JSON lines beside a recording, so
/// `fedtop replay` can re-render the run in the console with no compute.
public final class EventJournal {
    public static let version = 1
    public let path: String
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    public init(path: String, facts: FederationFacts, title: String) throws(ConsoleError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw .recording("cannot create \(path)")
        }
        handle = h
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        write(JournalLine(journal: Self.version, facts: facts, title: title))
    }

    public func write(_ line: JournalLine) {
        guard let data = try? encoder.encode(line) else { return }
        handle.write(data + Data("\n".utf8))
    }

    public func close() {
        try? handle.synchronize()
        try? handle.close()
    }

    /// A journal as read: its header's facts and title, its lines after the header, and a warning
    /// when its last line was cut off mid-write (that line left out).
    public struct Contents: Sendable {
        public var facts: FederationFacts
        public var title: String
        public var lines: [JournalLine]
        /// `FILE:LINE: the last line is incomplete …` when the journal ends in a torn line; nil otherwise.
        public var warning: String?
    }

    /// Reads a journal: its header and its lines in order. A last line cut off mid-write (no newline
    /// after it, and not a whole line) is left out with a ``Contents/warning`` — what a crash while
    /// writing leaves; a bad line anywhere else is an error naming the file and the line.
    public static func read(_ path: String) throws(ConsoleError) -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else { throw .recording("cannot read \(path)") }
        let decoder = JSONDecoder()
        var lines: [JournalLine] = []
        var warning: String?
        let raws = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (i, raw) in raws.enumerated() where !raw.isEmpty {
            do {
                lines.append(try decoder.decode(JournalLine.self, from: Data(raw)))
            } catch {
                if i == raws.count - 1, i > 0 {
                    let events = lines.dropFirst().filter { $0.event != nil }.count
                    warning = "\(path):\(i + 1): the last line is incomplete (cut off mid-write); replaying the \(events) complete events"
                    break
                }
                throw .recording("\(path):\(i + 1): \(Self.problem(error))")
            }
        }
        guard let header = lines.first, header.journal != nil, let facts = header.facts else {
            throw .recording("\(path):1: not a fedtop event journal (the first line has no journal header)")
        }
        guard header.journal! <= version else { throw .recording("\(path):1: journal version \(header.journal!) is newer than this fedtop reads") }
        return Contents(facts: facts, title: header.title ?? path, lines: Array(lines.dropFirst()), warning: warning)
    }

    /// What is wrong with a line, in a few words.
    private static func problem(_ error: Error) -> String {
        let key: (DecodingError.Context) -> String = { c in
            c.codingPath.isEmpty ? "" : " at \(c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "."))"
        }
        switch error as? DecodingError {
        case .dataCorrupted(let c) where c.codingPath.isEmpty: return "not a journal line (not JSON)"
        case .dataCorrupted(let c): return "not a journal line (a bad value\(key(c)))"
        case .keyNotFound(let k, let c): return "not a journal line (\"\(k.stringValue)\" missing\(key(c)))"
        case .typeMismatch(let t, let c): return "not a journal line (expected \(t)\(key(c)))"
        case .valueNotFound(_, let c): return "not a journal line (a value missing\(key(c)))"
        default: return "not a journal line"
        }
    }
}
