import Foundation

/// CPU time (user + system) of a server under load, from `/proc/<pid>/stat`: a process (all its
/// threads), or a process group (a Python server's master and its workers).
///
/// Contract: returns seconds, or nil when `/proc` cannot be read (not Linux); processes that ended
/// in between are not counted (so take both readings while the server runs).
public enum ProcessCPU {
    public static func seconds(pid: Int32, includingGroup: Bool) -> Double? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        var total = 0.0
        var found = false
        for name in includingGroup ? entries.filter({ $0.allSatisfy(\.isNumber) }) : [String(pid)] {
            guard let text = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { continue }
            // After "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let group = Int32(fields[2]), let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            guard Int32(name) == pid || (includingGroup && group == pid) else { continue }
            total += (user + system) / ticks
            found = true
        }
        return found ? total : nil
    }
}
