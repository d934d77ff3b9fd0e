import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import TensorCore
import Testing
import Transport

/// A `fedtop hospital` process: started, its port read from its first line, killed at the end.
final class HospitalProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let process: Process
    let logPath: String

    init(name: String, folder: String, certs: String?, shard: Int, port: Int = 0, extra: [String] = []) throws {
        self.name = name
        logPath = folder + "/\(name).log"
        process = Process()
        process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("fedtop")
        process.arguments = ["hospital", "--name", name, "--listen", "127.0.0.1:\(port)", "--dataset", "wdbc",
                             "--shard", "\(shard)/3", "--ledger", folder + "/ledger-\(name)", "--noise-seed", "\(shard)"]
            + (certs.map { ["--certs", $0] } ?? ["--insecure"]) + extra
        let out = Pipe()
        process.standardOutput = out
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens: "fedtop hospital NAME listening on 127.0.0.1:PORT".
        var line = Data()
        let handle = out.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.split(separator: "\n").first?.lastIndex(of: ":"),
              let bound = Int(text.split(separator: "\n").first![text.index(after: colon)...]) else {
            process.terminate()
            throw HospitalProcessError("hospital \(name) did not start: \(text) \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
        }
        self.port = bound
    }

    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}

struct HospitalProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A `fedtop run` in the background whose output is read line by line.
final class RunProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var text = ""

    init(_ arguments: [String]) throws {
        process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("fedtop")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["FEDTOP_KEYS": CommandRunner.testKeyStore]) { _, b in b }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.text += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var output: String { lock.withLock { text } }

    func wait(for needle: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(needle) { return true }
            if !process.isRunning { return output.contains(needle) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func finish(seconds: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        guard !process.isRunning else { process.terminate(); return nil }
        Thread.sleep(forTimeInterval: 0.2)
        return process.terminationStatus
    }
}

func scratchDirectory(_ label: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-\(label)-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Remote hospitals: fedtop hospital processes over mutual TLS, end to end", .serialized)
struct RemoteFederationTests {
    @Test("a hospital without its certificates, with one missing, or --insecure off loopback refuses to start, saying what is wrong")
    func refusesToStart() throws {
        let dir = scratchDirectory("hospital-start")
        let none = try CommandRunner.run(["hospital", "--name", "alice", "--listen", "127.0.0.1:0", "--ledger", dir + "/l"])
        #expect(none.status == 2 && none.stderr.contains("no --certs DIR"), "\(none.stderr)")
        #expect(try CommandRunner.run(["certs", "init", "--out", dir + "/certs", "--hospitals", "alice"]).status == 0)
        try FileManager.default.removeItem(atPath: dir + "/certs/alice/alice.key")
        let missing = try CommandRunner.run(["hospital", "--name", "alice", "--listen", "127.0.0.1:0", "--certs", dir + "/certs/alice",
                                             "--ledger", dir + "/l"])
        #expect(missing.status == 2 && missing.stderr.contains("alice.key"), "\(missing.stderr)")
        let open = try CommandRunner.run(["hospital", "--name", "alice", "--listen", "0.0.0.0:0", "--insecure", "--ledger", dir + "/l"])
        #expect(open.status == 2 && open.stderr.contains("loopback"), "\(open.stderr)")
        let badListen = try CommandRunner.run(["hospital", "--name", "alice", "--listen", "localhost", "--insecure", "--ledger", dir + "/l"])
        #expect(badListen.status == 2 && badListen.stderr.contains("--listen"), "\(badListen.stderr)")
        let badClip = try CommandRunner.run(["hospital", "--name", "alice", "--listen", "127.0.0.1:0", "--insecure", "--ledger", dir + "/l",
                                             "--feature-clip", "0"])
        #expect(badClip.status == 2 && badClip.stderr.contains("--feature-clip"), "\(badClip.stderr)")
    }

    @Test("three hospitals from `fedtop certs init`; one killed mid-round: the round completes on the quorum, it rejoins when restarted, its ledger charges no round twice")
    func killAndRejoin() throws {
        let dir = scratchDirectory("remote")
        let certs = try CommandRunner.run(["certs", "init", "--out", dir + "/certs", "--hospitals", "alice,bob,carol"])
        #expect(certs.status == 0, "\(certs.stderr)")
        // Every hospital lingers after training, so a round lasts long enough to kill one inside it.
        var hospitals: [String: HospitalProcess] = [:]
        for (i, name) in ["alice", "bob", "carol"].enumerated() {
            hospitals[name] = try HospitalProcess(name: name, folder: dir, certs: dir + "/certs/\(name)", shard: i + 1,
                                                  extra: ["--simulate", "delay=0.3"])
        }
        let run = try RunProcess(["run", "--headless", "--certs", dir + "/certs/console", "--rounds", "14", "--epsilon", "8",
                                  "--out", dir + "/run", "--quorum", "2"]
                                 + ["alice", "bob", "carol"].flatMap { ["--hospital", "grpcs://\($0)@127.0.0.1:\(hospitals[$0]!.port)"] })
        #expect(run.wait(for: "round 2/14"), "\(run.output)")
        // bob trains then lingers 0.3 s before answering: killed inside round 3, maybe after its spend.
        Thread.sleep(forTimeInterval: 0.15)
        let bobPort = hospitals["bob"]!.port
        hospitals["bob"]!.kill()
        #expect(run.wait(for: "bob: offline (", seconds: 10), "the console did not notice: \(run.output)")
        #expect(run.wait(for: "bob dropped from round", seconds: 10), "\(run.output)")
        hospitals["bob"] = try HospitalProcess(name: "bob", folder: dir, certs: dir + "/certs/bob", shard: 2, port: bobPort,
                                               extra: ["--simulate", "delay=0.3"])
        #expect(run.wait(for: "bob: attached again", seconds: 20), "\(run.output)\n\(hospitals["bob"]!.log)")
        let status = run.finish()
        #expect(status == 0, "\(run.output)")
        #expect(run.output.contains("round 14/14"))
        // bob trained again after it came back.
        let events = try String(contentsOfFile: dir + "/run/events.jsonl", encoding: .utf8)
        let lastBobUpdate = events.split(separator: "\n").filter { $0.contains("\"updateReceived\"") && $0.contains("\"bob\"") }.last
        #expect(lastBobUpdate?.contains("\"round\":14") == true, "\(lastBobUpdate ?? "no update from bob")")
        // No double spend: every round appears at most once in bob's ledger (kept across the restart).
        let ledger = try String(contentsOfFile: dir + "/ledger-bob/bob.ledger", encoding: .utf8)
        let rounds = ledger.split(separator: "\n").filter { $0.hasPrefix("spend ") }.map { $0.split(separator: " ")[4] }
        #expect(Set(rounds).count == rounds.count, "\(ledger)")
        #expect(rounds.count < 14, "bob missed rounds while it was down")
        for h in hospitals.values { h.kill() }
    }

    @Test("secure aggregation over three fedtop hospital processes (mutual TLS): fedtop run --secure-aggregation completes its rounds with DP-SGD and with client-level DP (distributed Skellam noise added by the hospitals); each hospital's audit log says its update stayed there")
    func secureAggregation() async throws {
        let dir = scratchDirectory("remote-secagg")
        // Processes are started and waited for on a Dispatch thread, never on Swift's cooperative pool.
        let (certs, runs) = try await onDispatchThread { () -> (CommandRunner.Output, [CommandRunner.Output]) in
            let certs = try CommandRunner.run(["certs", "init", "--out", dir + "/certs", "--hospitals", "alice,bob,carol"])
            let hospitals = try ["alice", "bob", "carol"].enumerated().map { i, name in
                // Client-level DP is not DP-SGD: these hospitals' policies accept rounds without it (`--dp-optional`).
                try HospitalProcess(name: name, folder: dir, certs: dir + "/certs/\(name)", shard: i + 1,
                                    extra: ["--epsilon-budget", "50", "--dp-optional"])
            }
            defer { for h in hospitals { h.kill() } }
            let attach = hospitals.flatMap { ["--hospital", "grpcs://\($0.name)@127.0.0.1:\($0.port)"] }
            var runs: [CommandRunner.Output] = []
            // Client-level noise over three hospitals must stay small enough to learn (ClientNoiseFeasibility): a
            // larger budget.
            for (label, dp) in [("sample", ["--epsilon", "8"]), ("client", ["--dp", "client", "--epsilon", "40"])] {
                runs.append(try CommandRunner.run(["run", "--headless", "--secure-aggregation", "--certs", dir + "/certs/console", "--rounds", "2",
                                                   "--out", dir + "/run-\(label)"] + dp + attach))
            }
            return (certs, runs)
        }
        #expect(certs.status == 0, "\(certs.stderr)")
        for (label, run) in zip(["sample", "client"], runs) {
            #expect(run.status == 0, "\(label): \(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("secure aggregation (16-bit"), "\(run.stdout)")
            #expect(run.stdout.contains("round 2/2"), "\(run.stdout)")
            let events = try String(contentsOfFile: dir + "/run-\(label)/events.jsonl", encoding: .utf8).split(separator: "\n")
            let done = events.filter { $0.contains("\"secureAggregation\"") && $0.contains("\"done\"") }
            #expect(done.count == 2, "\(label): \(events.filter { $0.contains("secureAggregation") || $0.contains("Dropped") })")
            #expect(!events.contains { $0.contains("\"hospitalDropped\"") })
        }
        #expect(runs[1].stdout.contains("federation ε"), "\(runs[1].stdout)")
        for name in ["alice", "bob", "carol"] {
            let audit = try String(contentsOfFile: dir + "/ledger-\(name)/audit.jsonl", encoding: .utf8)
            #expect(audit.components(separatedBy: "for secure aggregation").count - 1 == 4, "\(audit)")
            #expect(audit.components(separatedBy: "Skellam noise of variance").count - 1 == 2, "\(audit)")
            #expect(audit.components(separatedBy: "\"unmasked\"").count - 1 == 4, "\(audit)")
        }
    }

    @Test("refused: a console without a client certificate, one from another federation's CA, a tampered model; garbage on the port leaves the hospital serving")
    func refusals() async throws {
        let dir = scratchDirectory("remote-refusals")
        #expect(try CommandRunner.run(["certs", "init", "--out", dir + "/certs", "--hospitals", "alice"]).status == 0)
        #expect(try CommandRunner.run(["certs", "init", "--out", dir + "/other", "--hospitals", "alice"]).status == 0)
        let alice = try HospitalProcess(name: "alice", folder: dir, certs: dir + "/certs/alice", shard: 1)
        defer { alice.kill() }
        let address = "grpcs://alice@127.0.0.1:\(alice.port)"

        // Another federation's console (its own CA): refused in the handshake, and the console says why.
        let foreign = try CommandRunner.run(["run", "--headless", "--certs", dir + "/other/console", "--hospital", address,
                                             "--rounds", "1", "--out", dir + "/run-foreign"])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("--hospital \(address)"), "\(foreign.stderr)")

        // TLS without a client certificate: no answer.
        let ca = try String(contentsOfFile: dir + "/certs/console/ca.pem", encoding: .utf8)
        let port = alice.port
        await #expect(throws: (any Error).self) {
            try await withGRPCClient(transport: try HTTP2ClientTransport.Posix(
                target: .ipv4(address: "127.0.0.1", port: port),
                transportSecurity: .tls { $0.trustRoots = .certificates([.bytes(Array(ca.utf8), format: .pem)]) })) { grpc in
                var options = CallOptions.defaults
                options.timeout = .seconds(5)
                _ = try await Fedtop_V1_Hospital.Client(wrapping: grpc).hello(.init(), options: options)
            }
        }

        // The federation's own console certificate, but a model signed with another key: refused, detail in the log.
        let console = try ConsoleCredentials.load(folder: dir + "/certs/console")
        let endpoint = try RemoteHospital.Endpoint(parsing: address)
        // RemoteHospital blocks its caller: call it from a Dispatch thread, never from Swift's cooperative pool.
        let tampering = try await onDispatchThread {
            try RemoteHospital.connect(to: endpoint, makeTransport: { config in
                try console.makeClientTransport(host: "127.0.0.1", port: port, expectedHospital: "alice", config: config)
            }, runID: "tamper", signingKey: ModelSigningKey())
        }
        defer { tampering.close() }
        // The MLP the hospital trains (WDBC: 30 features, 2 classes).
        let model = try ModelZoo.make("mlp", inputShape: [30], classes: 2, seed: 1)
        try tampering.adopt(model)
        let parameters = model.parameters
        let outcome = try await onDispatchThread { () -> String in
            do {
                _ = try tampering.evaluate(globalModel: parameters)
                return "evaluated"
            } catch { return "\(error)" }
        }
        #expect(outcome.contains("signature"), "\(outcome)")
        #expect(alice.log.contains("signature does not verify"), "\(alice.log)")

        // Garbage: random bytes, a truncated HTTP/2 preface, a connection that never speaks.
        for payload in [Array((0..<65_536).map { _ in UInt8.random(in: 0...255) }), Array("PRI * HTTP/2.0\r\n\r\nSM".utf8)] {
            try sendRaw(payload, port: port)
        }
        #expect(alice.isRunning)
        // Still serving its console.
        let again = try CommandRunner.run(["run", "--headless", "--certs", dir + "/certs/console", "--hospital", address,
                                           "--rounds", "1", "--dataset", "wdbc", "--out", dir + "/run-after"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("round 1/1"))
    }
}

/// Runs blocking work on a Dispatch thread and awaits it, keeping Swift's cooperative pool free.
func onDispatchThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try body() }) }
    }
}

/// Writes `bytes` to a fresh TCP connection to 127.0.0.1:`port`, then closes it.
func sendRaw(_ bytes: [UInt8], port: Int) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HospitalProcessError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw HospitalProcessError("connect failed") }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    Thread.sleep(forTimeInterval: 0.2)
}
