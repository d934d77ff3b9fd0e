import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `fedtop serve` as its users run it: the built binary on a finished run's model, refusals at start, the
/// live panel in a terminal (tmux), and a second server on the same state folder.
@Suite("fedtop serve from the command line: no open door at start, the live panel in a terminal", .serialized)
struct ServeCommandTests {
    /// A finished WDBC run and a state folder with one predict key; the token.
    static func prepare() throws -> (dir: String, token: String) {
        let dir = try temporaryDirectory().path
        let run = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--model", "mlp", "--rounds", "2", "--out", dir + "/run"])
        try #require(run.status == 0, "\(run.stderr)")
        let key = try CommandRunner.run(["serve", "keys", "add", "clinic", "--state", dir + "/state", "--scope", "predict",
                                         "--rate", "1000", "--burst", "1000"])
        try #require(key.status == 0, "\(key.stderr)")
        let token = try #require(key.stdout.split(separator: "\n").last { $0.hasPrefix("fedtop_") })
        return (dir, String(token))
    }

    @Test("refused at start, naming the fix: no TLS without --insecure, --insecure off loopback, a tampered model, an open state folder")
    func refusals() throws {
        let (dir, _) = try Self.prepare()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = ["serve", "run", dir + "/run", "--state", dir + "/state"]
        let noTLS = try CommandRunner.run(base + ["--listen", "127.0.0.1:0"])
        #expect(noTLS.status != 0 && noTLS.stderr.contains("TLS is required"), "\(noTLS.stderr)")
        let previous = try CommandRunner.run(["serve", "run", dir + "/run/model.prev.safetensors", "--state", dir + "/state", "--insecure",
                                              "--listen", "127.0.0.1:0"])
        #expect(previous.status != 0 && previous.stderr.contains("its current model.safetensors"), "\(previous.stderr)")
        let exposed = try CommandRunner.run(base + ["--insecure", "--listen", "0.0.0.0:0"])
        #expect(exposed.status != 0 && exposed.stderr.contains("only allowed on a loopback"), "\(exposed.stderr)")

        chmod(dir + "/state", 0o755)
        let open = try CommandRunner.run(base + ["--insecure", "--listen", "127.0.0.1:0"])
        #expect(open.status != 0 && open.stderr.contains("chmod 700"), "\(open.stderr)")
        chmod(dir + "/state", 0o700)

        // One byte of the weights changed: the signature no longer holds, nothing listens.
        let weights = dir + "/run/model.safetensors"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: weights)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: weights))
        let tampered = try CommandRunner.run(base + ["--insecure", "--listen", "127.0.0.1:0"])
        #expect(tampered.status != 0 && !tampered.stdout.contains("listening"), "\(tampered.stdout)")
        #expect(tampered.stderr.contains("differs from the one signed"), "\(tampered.stderr)")
    }

    @Test("in a terminal: the panel shows the model, the address and each refusal; the server log stays off the screen; q stops it cleanly")
    func panel() async throws {
        try #require(TmuxSession.available, "tmux is needed for the console's end-to-end tests")
        let (dir, token) = try Self.prepare()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "FEDTOP_KEYS=\(CommandRunner.testKeyStore) \(fedtop) serve run \(dir)/run --insecure "
                                   + "--listen 127.0.0.1:0 --state \(dir)/state; echo FEDTOP-EXIT=$?; sleep 60", width: 110, height: 32)
        let screen = try tmux.wait(for: "the panel's address line", timeout: 120) { $0.contains("http://127.0.0.1:") && $0.contains("Refused") }
        #expect(screen.contains("fedtop serve — wdbc") && screen.contains("malignant, benign"), "\(screen)")
        let port = try #require(screen.firstMatch(of: /127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) })

        // One answer, one refusal for a bad key, one for a record of the wrong shape.
        let features = Array(repeating: "0.1", count: 30).joined(separator: ",")
        #expect(try await Self.post(port: port, token: token, body: "{\"records\":[[\(features)]]}") == 200)
        #expect(try await Self.post(port: port, token: "fedtop_000000000000_wrong", body: "{\"records\":[[\(features)]]}") == 401)
        #expect(try await Self.post(port: port, token: token, body: "{\"records\":[[1,2]]}") == 422)
        let counted = try tmux.wait(for: "the refusals in the panel", timeout: 60) { $0.contains("unauthenticated") && $0.contains("bad_shape") }
        #expect(!counted.contains("Hummingbird") && !counted.contains("info "), "a log line tore the panel:\n\(counted)")

        // A second server on the same state folder is refused while this one holds it.
        let second = try await CommandRunner.runOffPool(["serve", "run", dir + "/run", "--insecure", "--listen", "127.0.0.1:0",
                                                         "--state", dir + "/state"])
        #expect(second.status != 0 && second.stderr.contains("another fedtop serve is using this state folder"), "\(second.stderr)")

        try tmux.send("q")
        let end = try tmux.wait(for: "FEDTOP-EXIT=", timeout: 60)
        #expect(end.contains("FEDTOP-EXIT=0"), "\(end)")
        #expect(end.contains("stopped after 3 requests (1 answered)") && end.contains("bad_shape 1, unauthenticated 1"), "\(end)")
        #expect(try tmux.format("alternate_on") == "0")
        let log = try String(contentsOfFile: dir + "/state/serve.log", encoding: .utf8)
        #expect(log.contains("Server started") && log.contains("refused: unauthenticated"), "\(log)")
        var info = stat()
        #expect(stat(dir + "/state/serve.log", &info) == 0 && info.st_mode & 0o077 == 0, "the server log is private")
    }

    @Test("fedtop audit serve against a live server: every defence holds, and the API leaks what the model leaks, no more")
    func auditServe() async throws {
        let dir = try temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--model", "mlp", "--rounds", "2", "--out", dir + "/run"])
        try #require(run.status == 0, "\(run.stderr)")
        let key = try CommandRunner.run(["serve", "keys", "add", "auditor", "--state", dir + "/state", "--scope", "predict",
                                         "--rate", "200", "--burst", "64"])
        let token = try #require(key.stdout.split(separator: "\n").last { $0.hasPrefix("fedtop_") })
        // Named by its model file, as `fedtop serve MODEL` users would.
        let server = try ServerProcess(["serve", "run", dir + "/run/model.safetensors", "--insecure", "--listen", "127.0.0.1:0", "--state", dir + "/state"])
        defer { server.stop() }
        let port = try server.port()
        let audit = try await CommandRunner.runOffPool(["audit", "serve", "http://127.0.0.1:\(port)", "--run", dir + "/run",
                                                        "--out", dir + "/report", "--guesses", "30", "--perturbations", "0,0.3"],
                                                       environment: ["FEDTOP_API_KEY": String(token)])
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(!audit.stdout.contains("FAILED"), "\(audit.stdout)")
        let report = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        #expect(report.contains("hostile bodies were refused and the control was answered"), "\(report)")
        #expect(report.contains("Throttled from guess 21 on"), "20 failures allowed by default, then 429")
        #expect(report.contains("(difference 0.0e+00)"), "the API's probabilities are the model's")
        #expect(report.contains("| verdict | held |"))
        for file in ["report.html", "sponge-inputs.csv", "membership-api.csv", "evasion-api.csv", "brute-force.csv", "rate-limit.csv"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/report/" + file), "\(file)")
        }
        // Without a key it refuses to start, naming where a key comes from.
        let noKey = try CommandRunner.run(["audit", "serve", "http://127.0.0.1:\(port)", "--out", dir + "/r2"], environment: ["FEDTOP_API_KEY": ""])
        #expect(noKey.status != 0 && noKey.stderr.contains("FEDTOP_API_KEY"), "\(noKey.stderr)")
    }

    @Test("started with & from an interactive shell (as the README does), it serves with lines instead of a panel that would stop it")
    func backgroundJob() async throws {
        try #require(TmuxSession.available, "tmux is needed for the console's end-to-end tests")
        let (dir, token) = try Self.prepare()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "bash --norc --noprofile -i", width: 150, height: 30)
        try tmux.send("FEDTOP_KEYS=\(CommandRunner.testKeyStore) \(fedtop) serve run \(dir)/run --insecure --listen 127.0.0.1:0 --state \(dir)/state &", "Enter")
        let screen = try tmux.wait(for: "the listening line", timeout: 120) { $0.contains("listening on http://127.0.0.1:") }
        let port = try #require(screen.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) })
        let features = Array(repeating: "0.1", count: 30).joined(separator: ",")
        #expect(try await Self.post(port: port, token: token, body: "{\"records\":[[\(features)]]}") == 200)
        try tmux.send("jobs; kill %1", "Enter")
        let jobs = try tmux.wait(for: "the job list") { $0.contains("Running") || $0.contains("Stopped") }
        #expect(jobs.contains("Running") && !jobs.contains("Stopped"), "\(jobs)")
        #expect(try tmux.format("alternate_on") == "0", "no panel took the terminal")
    }

    /// POSTs `body` to /v1/predict; the status.
    static func post(port: Int, token: String, body: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/predict")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(body.utf8)
        request.timeoutInterval = 120
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}

/// A `fedtop` that keeps running (a server): started with its output on a pipe, stopped with SIGTERM.
final class ServerProcess {
    let process = Process()
    private let output = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("fedtop")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["FEDTOP_KEYS"] = CommandRunner.testKeyStore
        process.environment = env
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The port from the server's "listening on http://HOST:PORT" line (it may take a while on a loaded machine).
    func port() throws -> Int {
        var seen = ""
        let handle = output.fileHandleForReading
        while process.isRunning || !seen.isEmpty {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let match = seen.firstMatch(of: /listening on https?:\/\/127\.0\.0\.1:(\d+)/), let port = Int(match.1) { return port }
        }
        throw TmuxError("the server stopped before listening: \(seen)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
