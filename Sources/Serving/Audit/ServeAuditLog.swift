import Dispatch
import Federation
import Foundation

/// One line of the serving audit log: who asked what and what was decided — never the input values,
/// tokens or messages.
public struct ServeAuditEntry: Codable, Sendable, Equatable {
    /// ISO 8601 with milliseconds.
    public var time: String
    public var request: String
    /// The key id, or "-" when none was authenticated.
    public var key: String
    public var route: String
    public var status: Int
    /// The refusal code, or "ok".
    public var decision: String
    public var records: Int
    /// ε charged (private answers only).
    public var epsilon: Double?
    public var milliseconds: Double

    public init(time: Date = Date(), request: String, key: String, route: String, status: Int, decision: String, records: Int,
                epsilon: Double? = nil, milliseconds: Double) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        self.time = formatter.string(from: time)
        self.request = request
        self.key = key
        self.route = route
        self.status = status
        self.decision = decision
        self.records = records
        self.epsilon = epsilon
        self.milliseconds = milliseconds
    }
}

/// The server's audit log: `audit.jsonl` (mode 0600) in its state folder, one JSON object a line,
/// rotated at `rotateBytes` (64 MiB by default; renamed `audit-<UTC time>.jsonl`, the newest
/// ``keepRotated`` kept).
///
/// Contract: ``record(_:)`` appends the line at once (one `write`) and the file is fsynced at most
/// ``syncInterval`` later (group commit: an fsync per request would dominate the latency), and on
/// ``close()``. A failed write or fsync marks the log ``failed``: the server then refuses requests
/// (fail closed) instead of serving unaudited.
public final class ServeAuditLog: @unchecked Sendable {
    public let rotateBytes: Int
    public static let keepRotated = 10
    public static let syncInterval = 0.1

    public let directory: String
    public var path: String { directory + "/audit.jsonl" }
    private let lock = NSLock()
    private var file: AppendOnlyFile
    private var dirty = false
    private var failure: String?
    private let timer: DispatchSourceTimer
    private let encoder: JSONEncoder

    public init(directory: String, rotateBytes: Int = 64 << 20) throws(FederationError) {
        self.directory = directory
        self.rotateBytes = rotateBytes
        file = try AppendOnlyFile(path: directory + "/audit.jsonl", mode: 0o600)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "fedtop.serve.audit"))
        timer.schedule(deadline: .now() + Self.syncInterval, repeating: Self.syncInterval)
        timer.setEventHandler { [weak self] in self?.sync() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Why the log failed, or nil while it works.
    public var failed: String? { lock.withLock { failure } }

    public func record(_ entry: ServeAuditEntry) {
        let data = try? encoder.encode(entry)
        lock.withLock {
            guard failure == nil else { return }
            guard let data else { return failure = "an audit entry could not be encoded" }
            let line = String(decoding: data, as: UTF8.self)
            do {
                try file.append(line)
                dirty = true
                if file.size >= rotateBytes { try rotate() }
            } catch { failure = "\(error)" }
        }
    }

    /// Flushes what was written (the timer calls it; ``close()`` too).
    public func sync() {
        lock.withLock {
            guard dirty, failure == nil else { return }
            do { try file.sync() } catch { failure = "\(error)" }
            dirty = false
        }
    }

    /// Stops the timer and flushes.
    public func close() {
        timer.cancel()
        sync()
    }

    private func rotate() throws {
        try file.sync()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        let rotated = directory + "/audit-\(formatter.string(from: Date())).jsonl"
        guard rename(path, rotated) == 0 else { throw FederationError.runFile(path: path, reason: "cannot rotate") }
        file = try AppendOnlyFile(path: path, mode: 0o600)
        let old = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("audit-") && $0.hasSuffix(".jsonl") }.sorted()
        for name in old.dropLast(Self.keepRotated) { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
    }
}
