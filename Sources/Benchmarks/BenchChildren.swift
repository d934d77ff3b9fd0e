import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The child processes a benchmark starts (`fedtop hospital` servers, scenario runs), so that every
/// one of them is stopped when the benchmark ends: normally, on an error, or on SIGINT, SIGTERM or
/// SIGHUP.
///
/// Contract:
/// - ``start(_:arguments:environment:stdout:stderr:)`` runs the executable given at ``init(executable:scratch:)``
///   (fedtop passes itself) and remembers the process until ``stop(_:)`` or ``stopAll()``.
/// - ``stop(_:)`` sends SIGTERM, waits up to `grace` seconds, then sends SIGKILL and reaps it; it
///   is idempotent and never throws.
/// - While a set exists (from ``init(executable:scratch:)`` to ``stopAll()``), SIGINT, SIGTERM and SIGHUP stop
///   every child, remove the scratch folder, and exit this process with 128 + the signal.
public final class BenchChildren: @unchecked Sendable {
    /// The program every child runs (`fedtop`).
    public let executable: URL
    private let lock = NSLock()
    private var running: [Int32: Process] = [:]
    private var signalSources: [any DispatchSourceSignal] = []
    private let signalQueue = DispatchQueue(label: "fedtop.bench.children.signals")

    /// - Parameters:
    ///   - executable: the program the children run (fedtop passes its own path).
    ///   - scratch: a folder the benchmark removes when it ends, removed here too on a signal
    ///     (the benchmark's own clean-up does not run then).
    public init(executable: URL, scratch: String? = nil) {
        self.executable = executable
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler { [weak self] in
                self?.stopAll()
                if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
                FileHandle.standardError.write(Data("fedtop: bench stopped by signal \(sig); its child processes were stopped\n".utf8))
                exit(128 + sig)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    deinit { stopAll() }

    /// Waits until the child prints a line starting with `prefix` followed by `HOST:PORT` (anything after
    /// the port is ignored) in its stdout file, and returns the port. Throws, naming `label` and quoting the
    /// end of its stderr, if it exits first or prints no such line within `timeout` seconds (it is then stopped).
    public func awaitListening(_ process: Process, label: String, outPath: String, errPath: String, prefix: String,
                               timeout: Double) throws -> Int {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                let address = line.dropFirst(prefix.count).prefix { !$0.isWhitespace }
                guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                    stop(process)
                    throw BenchmarkError("\(label) printed an address without a port: '\(line)'")
                }
                return port
            }
            if !process.isRunning {
                process.waitUntilExit()
                stop(process)
                throw BenchmarkError("\(label) exited with status \(process.terminationStatus) before listening" + HospitalChild.tail(errPath))
            }
            if Date() >= deadline {
                stop(process)
                throw BenchmarkError("\(label) did not print its address within \(Int(timeout)) s" + HospitalChild.tail(errPath))
            }
            usleep(20_000)
        }
    }

    /// Starts `fedtop ARGUMENTS` as a child; `label` names it in errors.
    public func start(_ label: String, arguments: [String], environment: [String: String] = [:],
               stdout: Any? = nil, stderr: Any? = nil) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            process.environment = env
        }
        process.standardInput = FileHandle.nullDevice
        if let stdout { process.standardOutput = stdout }
        if let stderr { process.standardError = stderr }
        do { try process.run() } catch {
            throw BenchmarkError("bench transport: could not start \(label) (\(executable.path) \(arguments.joined(separator: " "))): \(error)")
        }
        lock.withLock { running[process.processIdentifier] = process }
        return process
    }

    /// Takes a child started elsewhere (a load generator) into the set a signal stops; ``release(_:)``
    /// gives it back once it has exited.
    public func adopt(_ process: Process) { lock.withLock { running[process.processIdentifier] = process } }

    public func release(_ process: Process) { _ = lock.withLock { running.removeValue(forKey: process.processIdentifier) } }

    /// Stops one child (SIGTERM, then SIGKILL after `grace` seconds) and reaps it.
    public func stop(_ process: Process, grace: Double = 5) {
        let pid = process.processIdentifier
        guard lock.withLock({ running.removeValue(forKey: pid) }) != nil else { return }
        guard process.isRunning else { process.waitUntilExit(); return }
        kill(pid, SIGTERM)
        let deadline = Date(timeIntervalSinceNow: grace)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// Stops every child still running, and stops handling signals.
    public func stopAll() {
        let all = lock.withLock { Array(running.values) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        for p in all { stop(p) }
        let sources = lock.withLock { () -> [any DispatchSourceSignal] in
            defer { signalSources = [] }
            return signalSources
        }
        for s in sources { s.cancel() }
        if !sources.isEmpty { for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) } }
    }
}

/// A `fedtop hospital` child process, listening on loopback.
///
/// Contract: ``start(in:children:name:arguments:timeout:)`` returns once the child has printed
/// `fedtop hospital NAME listening on HOST:PORT` (its stdout and stderr go to NAME.out and NAME.err
/// in the folder given); it throws, naming the hospital and quoting the end of its stderr, if the
/// child exits first or does not listen within `timeout` seconds (then it is stopped).
public struct HospitalChild {
    public let name: String
    public let process: Process
    public let port: Int
    public let stderrPath: String

    /// The console's address for it: `grpcs://NAME@127.0.0.1:PORT`.
    public var endpoint: String { "grpcs://\(name)@127.0.0.1:\(port)" }

    public static func start(in folder: String, children: BenchChildren, name: String, arguments: [String],
                      timeout: Double = 120) throws -> HospitalChild {
        let outPath = folder + "/\(name).out", errPath = folder + "/\(name).err"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw BenchmarkError("bench transport: cannot create \(outPath) or \(errPath) for hospital \(name)'s output")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        let process = try children.start("hospital \(name)", arguments: ["hospital", "--name", name] + arguments,
                                         stdout: out, stderr: err)
        let port = try children.awaitListening(process, label: "bench transport: hospital \(name)", outPath: outPath, errPath: errPath,
                                               prefix: "fedtop hospital \(name) listening on ", timeout: timeout)
        return HospitalChild(name: name, process: process, port: port, stderrPath: errPath)
    }

    /// The last lines of a child's stderr, for an error message.
    public static func tail(_ path: String, lines: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "" }
        return "; its stderr ends: " + text.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }
}
