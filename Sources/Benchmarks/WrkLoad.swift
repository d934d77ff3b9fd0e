import Foundation

/// `wrk` (Will Glozer's HTTP benchmarking tool, C with epoll) as `fedtop bench serve`'s load generator
/// when it is installed: one thread, `connections` keep-alive connections, the same POST each time
/// (a Lua script sets method, headers and body). Its cost per request is a few microseconds, so on a
/// two-core machine the servers, not the client, set the pace.
///
/// Contract: ``measure(_:folder:)`` runs wrk for `load.seconds` and reads wrk's own summary
/// (`Requests/sec`, the 50 % and 99 % latencies of `--latency`, non-2xx answers and socket errors);
/// anything it cannot read is a ``BenchmarkError`` quoting wrk's output.
public struct WrkLoad: Sendable {
    public let executable: String
    /// When given, wrk is one of these children while it runs (a signal to the bench stops it too).
    public let children: BenchChildren?

    public init(executable: String, children: BenchChildren? = nil) {
        self.executable = executable
        self.children = children
    }

    /// The `wrk` on PATH, or nil.
    public static func find() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// One run of `load.seconds`.
    public func measure(_ load: ServeLoad, folder: String) throws -> ServeLoad.Result {
        let script = folder + "/wrk-\(UUID().uuidString).lua"
        var lua = "wrk.method = \"POST\"\n"
        lua += "wrk.body = " + Self.luaString(String(decoding: load.body, as: UTF8.self)) + "\n"
        for (name, value) in load.headers { lua += "wrk.headers[ \(Self.luaString(name)) ] = \(Self.luaString(value))\n" }
        try Data(lua.utf8).write(to: URL(fileURLWithPath: script))
        defer { try? FileManager.default.removeItem(atPath: script) }
        return try invoke(load, script: script, seconds: max(1, load.seconds))
    }

    private func invoke(_ load: ServeLoad, script: String, seconds: Double) throws -> ServeLoad.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-t", "1", "-c", String(load.connections), "-d", "\(Int(seconds.rounded()))s", "--timeout", "30s", "--latency",
                             "-s", script, load.url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw BenchmarkError("bench serve: cannot start \(executable): \(error.localizedDescription)") }
        children?.adopt(process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        children?.release(process)
        guard process.terminationStatus == 0 else { throw BenchmarkError("bench serve: \(executable) failed (\(process.terminationStatus)): \(text.suffix(300))") }
        return try Self.parse(text, seconds: seconds)
    }

    /// wrk's summary as a result.
    static func parse(_ text: String, seconds: Double) throws -> ServeLoad.Result {
        func fail() -> BenchmarkError { BenchmarkError("bench serve: cannot read wrk's summary: \(text.suffix(400))") }
        var result = ServeLoad.Result()
        var total: Int?
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("50%"), fields.count >= 2 { result.p50Milliseconds = try milliseconds(String(fields[1])) ?? { throw fail() }() }
            if line.hasPrefix("99%"), fields.count >= 2 { result.p99Milliseconds = try milliseconds(String(fields[1])) ?? { throw fail() }() }
            if line.contains("requests in"), let n = Int(fields.first ?? "") { total = n }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let n = Int(fields.last ?? "") { result.failures += n; result.firstFailure = line }
            if line.hasPrefix("Socket errors:") {
                let errors = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.reduce(0, +)
                if errors > 0 { result.failures += errors; result.firstFailure = result.firstFailure ?? line }
            }
        }
        guard let total else { throw fail() }
        result.requests = max(0, total - result.failures)
        result.seconds = seconds
        return result
    }

    /// `812.00us`, `2.44ms`, `1.02s` in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (unit, scale) in [("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("m", 60e3)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }

    /// A Lua long string that cannot end early: `[==[…]==]` with enough `=`.
    static func luaString(_ s: String) -> String {
        var level = 0
        while s.contains("]" + String(repeating: "=", count: level) + "]") { level += 1 }
        let eq = String(repeating: "=", count: level)
        return "[\(eq)[\(s)]\(eq)]"
    }
}
