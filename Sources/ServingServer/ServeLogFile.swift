import Federation
import Foundation
import Logging
import Serving

/// The server's log as lines appended to a private file (mode 0600) in its state folder, for when the
/// terminal belongs to the live panel: a log line written to the screen would tear the panel.
///
/// Contract: each message is one line `TIME LEVEL LABEL: [metadata] message`, newlines in the message
/// escaped, so one line is one event; a write that fails is dropped (a log must never stop the server; the
/// audit log, not this one, is the record of every request). The file is never truncated.
public struct ServeLogFile: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let file: AppendOnlyFile

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// A logger writing to `<directory>/serve.log`.
    public static func logger(directory: String, level: Logger.Level = .info) throws -> Logger {
        let file = try AppendOnlyFile(path: directory + "/serve.log", mode: 0o600)
        return Logger(label: "fedtop.serve") { label in ServeLogFile(label: label, file: file, level: level) }
    }

    /// The file's path, for the messages that point to it.
    public static func path(directory: String) -> String { directory + "/serve.log" }

    /// Control characters (newlines, escape sequences a terminal would obey) written as `\uXXXX`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    init(label: String, file: AppendOnlyFile, level: Logger.Level) {
        self.label = label
        self.file = file
        self.logLevel = level
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let tags = all.isEmpty ? "" : all.sorted { $0.key < $1.key }.map { "\(Self.escaped($0.key))=\(Self.escaped("\($0.value)"))" }
            .joined(separator: " ") + " "
        let text = Self.escaped("\(event.message)")
        try? file.append("\(ServeAuditEntry.timestamp(Date())) \(event.level) \(label): \(tags)[\(event.source)] \(text)")
    }
}
