import Federation
import Foundation

/// A hospital process's local log: one timestamped line per event on standard error, and the events
/// that matter to a reviewer (refused requests, bad signatures, spends, start and stop) as JSON lines
/// in its audit log, fsynced. What a peer is told is generic; the detail is here.
///
/// Contract: thread-safe; a failure to write the audit log is itself logged and never stops the hospital
/// from refusing what it must refuse.
public final class HospitalLog: @unchecked Sendable {
    private let lock = NSLock()
    private let audit: AppendOnlyFile?
    private let name: String
    private let echo: Bool

    /// - Parameters:
    ///   - auditPath: the audit log (JSON lines), or nil for none (tests).
    ///   - echo: whether lines go to standard error.
    public init(name: String, auditPath: String?, echo: Bool = true) throws {
        self.name = name
        self.echo = echo
        audit = try auditPath.map { path throws in try AppendOnlyFile(path: path) }
    }

    /// A line for the operator.
    public func info(_ message: String) { write("\(name): \(message)") }

    /// A line for the operator, and an audit entry.
    public func audit(_ action: String, _ message: String, details: [String: String] = [:]) {
        write("\(name): \(message)")
        guard let audit else { return }
        var entry = details
        entry["hospital"] = name
        entry["message"] = message
        lock.lock()
        defer { lock.unlock() }
        do {
            try audit.append(AuditLog.entry(action, details: entry))
            try audit.sync()
        } catch {
            if echo { FileHandle.standardError.write(Data("\(name): audit log not written: \(error)\n".utf8)) }
        }
    }

    private func write(_ line: String) {
        guard echo else { return }
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .current,
                                               formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        FileHandle.standardError.write(Data("\(time) \(line)\n".utf8))
    }
}
