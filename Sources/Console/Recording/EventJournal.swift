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

    /// Reads a journal: its header and its lines in order. Errors name the file and the line.
    public static func read(_ path: String) throws(ConsoleError) -> (facts: FederationFacts, title: String, lines: [JournalLine]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .recording("cannot read \(path)") }
        let decoder = JSONDecoder()
        var lines: [JournalLine] = []
        for (i, raw) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            do {
                lines.append(try decoder.decode(JournalLine.self, from: Data(raw)))
            } catch {
                throw .recording("\(path):\(i + 1): not a journal line (\(error))")
            }
        }
        guard let header = lines.first, header.journal != nil, let facts = header.facts else {
            throw .recording("\(path): not a fedtop event journal (the first line has no journal header)")
        }
        guard header.journal! <= version else { throw .recording("\(path): journal version \(header.journal!) is newer than this fedtop reads") }
        return (facts, header.title ?? path, Array(lines.dropFirst()))
    }
}
