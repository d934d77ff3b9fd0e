import Foundation

/// A detached tmux session running a command, for end-to-end tests of the console: type keys,
/// read the screen (`capture-pane`), wait for text.
///
/// Each session runs on its own tmux server (`-L`, its own socket, no configuration file), so a test never
/// connects to a server another test is shutting down: killing a server's last session makes it exit, and a
/// `new-session` racing that exit fails with "server exited unexpectedly" (seen in CI).
final class TmuxSession {
    let name: String

    static var available: Bool { (try? TmuxSession.tmux(["-V"]).status) == 0 }

    init(command: String, width: Int = 120, height: Int = 40) throws {
        name = "fedtop-test-\(UUID().uuidString.prefix(8))"
        let r = try tmux(["-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command])
        guard r.status == 0 else { throw TmuxError("tmux new-session failed: \(r.output)") }
    }

    /// Kills the session (its pane's process gets SIGHUP, as when a terminal closes); the server, left with no
    /// session, exits; `kill-server` makes sure.
    deinit {
        _ = try? tmux(["kill-session", "-t", name])
        _ = try? tmux(["kill-server"])
    }

    /// tmux on this session's own server.
    private func tmux(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Self.tmux(["-L", name] + arguments)
    }

    func send(_ keys: String...) throws { _ = try tmux(["send-keys", "-t", name] + keys) }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]).output }

    /// A tmux format value of the pane (`alternate_on`, `cursor_flag`, `pane_dead`).
    func format(_ variable: String) throws -> String {
        try tmux(["display-message", "-p", "-t", name, "#{\(variable)}"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until the screen satisfies `condition`; returns the screen, or throws with the last one.
    @discardableResult
    func wait(for what: String, timeout: Double = 60, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TmuxError("timed out waiting for \(what); the screen was:\n\(last)")
    }

    @discardableResult
    func wait(for text: String, timeout: Double = 60) throws -> String { try wait(for: "'\(text)'", timeout: timeout) { $0.contains(text) } }

    /// Runs tmux with posix_spawn and waitpid (Foundation's `Process.waitUntilExit` can miss the exit of a
    /// child that forks a daemon, as the first tmux command does); output goes through a temporary file.
    static func tmux(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw TmuxError("cannot start tmux: error \(spawned)") }
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitStatus: Int32 = waited == pid && (status & 0x7f) == 0 ? (status >> 8) & 0xff : (waited < 0 ? 0 : -1)
        return (exitStatus, output)
    }
}

struct TmuxError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
