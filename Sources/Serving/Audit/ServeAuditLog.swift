import Dispatch
import Federation
import Foundation
import TensorCore

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
        self.time = Self.timestamp(time)
        self.request = request
        self.key = key
        self.route = route
        self.status = status
        self.decision = decision
        self.records = records
        self.epsilon = epsilon
        self.milliseconds = milliseconds
    }

    /// `2026-12-07T06:15:49.123Z`: UTC, milliseconds (written by hand: a date formatter costs more than
    /// the rest of a request).
    public static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var millis = Int(((seconds - Double(whole)) * 1000).rounded(.down))
        if millis >= 1000 { whole += 1; millis -= 1000 }
        var parts = tm()
        gmtime_r(&whole, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    /// The entry as one JSON object with sorted keys (what `JSONEncoder` with `.sortedKeys` writes, without its cost).
    public var jsonLine: String {
        var fields = ["\"decision\":" + jsonQuoted(decision)]
        if let epsilon, epsilon.isFinite { fields.append("\"epsilon\":\(epsilon)") }
        fields += ["\"key\":" + jsonQuoted(key), "\"milliseconds\":\(milliseconds.isFinite ? milliseconds : 0)", "\"records\":\(records)",
                   "\"request\":" + jsonQuoted(request), "\"route\":" + jsonQuoted(route), "\"status\":\(status)", "\"time\":" + jsonQuoted(time)]
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// The server's audit log: `audit.jsonl` (mode 0600) in its state folder, one JSON object a line,
/// rotated at `rotateBytes` (64 MiB by default; renamed `audit-<UTC time>-<n>.jsonl`, the newest
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
    /// Bytes in the current file (kept here: no `lseek` per request).
    private var written: Int
    private var failure: String?
    private let timer: DispatchSourceTimer

    public init(directory: String, rotateBytes: Int = 64 << 20) throws(FederationError) {
        self.directory = directory
        self.rotateBytes = rotateBytes
        file = try AppendOnlyFile(path: directory + "/audit.jsonl", mode: 0o600)
        written = file.size
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "fedtop.serve.audit"))
        timer.schedule(deadline: .now() + Self.syncInterval, repeating: Self.syncInterval)
        timer.setEventHandler { [weak self] in self?.sync() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Why the log failed, or nil while it works.
    public var failed: String? { lock.withLock { failure } }

    public func record(_ entry: ServeAuditEntry) {
        let line = entry.jsonLine
        lock.withLock {
            guard failure == nil else { return }
            do {
                try file.append(line)
                dirty = true
                written += line.utf8.count + 1
                if written >= rotateBytes { try rotate() }
            } catch { failure = "\(error)" }
        }
    }

    /// Flushes what was written (the timer calls it; ``close()`` too). The fsync runs outside the lock,
    /// so requests keep appending while the disk catches up.
    public func sync() {
        let target: AppendOnlyFile? = lock.withLock {
            guard dirty, failure == nil else { return nil }
            dirty = false
            return file
        }
        guard let target else { return }
        do { try target.sync() } catch {
            let reason = "\(error)"
            lock.withLock { failure = reason }
        }
    }

    /// Stops the timer and flushes everything written so far: always an fsync of its own (a timer's
    /// fsync may still be running outside the lock, and close must not return before the disk has it).
    public func close() {
        timer.cancel()
        let target: AppendOnlyFile? = lock.withLock {
            dirty = false
            return failure == nil ? file : nil
        }
        guard let target else { return }
        do { try target.sync() } catch {
            let reason = "\(error)"
            lock.withLock { failure = reason }
        }
    }

    private func rotate() throws {
        try file.sync()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        // Two rotations in one millisecond must not share a name (the second rename would replace the
        // first file): a sequence number that sorts with the time.
        let stem = directory + "/audit-\(formatter.string(from: Date()))"
        var sequence = 0
        while FileManager.default.fileExists(atPath: stem + String(format: "-%03d.jsonl", sequence)) { sequence += 1 }
        let rotated = stem + String(format: "-%03d.jsonl", sequence)
        guard rename(path, rotated) == 0 else { throw FederationError.runFile(path: path, reason: "cannot rotate") }
        file = try AppendOnlyFile(path: path, mode: 0o600)
        written = file.size
        let old = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("audit-") && $0.hasSuffix(".jsonl") }.sorted()
        for name in old.dropLast(Self.keepRotated) { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
    }
}
