/// A bounded ring of the most recent log entries: appending past the capacity drops the oldest.
public struct LogRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [LogEntry] = []
    private var start = 0
    /// Entries ever appended (the ring keeps the last `capacity`).
    public private(set) var total = 0

    public init(capacity: Int = 500) { self.capacity = max(1, capacity) }

    public mutating func append(_ entry: LogEntry) {
        total += 1
        if storage.count < capacity {
            storage.append(entry)
        } else {
            storage[start] = entry
            start = (start + 1) % capacity
        }
    }

    /// The entries kept, oldest first.
    public var entries: [LogEntry] { Array(storage[start...] + storage[..<start]) }

    public var count: Int { storage.count }
}

/// One line of the console's log: an engine event in words.
public struct LogEntry: Sendable, Equatable, Codable {
    /// Seconds since the run started.
    public var time: Double
    public var round: Int
    public var kind: LogKind
    public var text: String

    public init(time: Double, round: Int, kind: LogKind, text: String) {
        self.time = time
        self.round = round
        self.kind = kind
        self.text = text
    }
}

/// What a log entry is about; the log filters by these names (`/` then e.g. `privacy`).
public enum LogKind: String, Sendable, CaseIterable, Codable {
    case run, round, hospital, privacy, command, checkpoint, warning
}
