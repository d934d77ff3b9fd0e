import Federation
import Foundation
import Privacy

/// Runs the built `fedtop` executable, as a user would, and captures what it prints.
enum CommandRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The key store every `fedtop` the tests start uses (`FEDTOP_KEYS`), under the system's temporary directory.
    static let testKeyStore = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-test-keys-\(getpid())").path

    /// The seal of `party`'s ledger in the run at `run` (a run the tests started: its keys are in ``testKeyStore``).
    static func seal(run: String, party: String) throws -> LedgerSeal {
        try LedgerSeal.loadOrCreate(directory: testKeyStore + "/" + CheckpointSigner.runFingerprint(runDirectory: run), name: party)
    }

    /// The directory holding the built products (`.build/debug`).
    static var productsDirectory: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("fedtop").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    /// The repository root (for README.md and .ci/run).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// ``run(_:environment:)`` waited for on a Dispatch thread: for the long runs, which would otherwise
    /// hold one of the two threads of Swift's cooperative pool for a minute while the in-process gRPC
    /// servers of other suites need it.
    static func runOffPool(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> Output {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try run(arguments, environment: environment, directory: directory) }) }
        }
    }

    /// - Parameter directory: the working directory (default: the test runner's).
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("fedtop")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        // Runs keep their keys outside the run folder (RunKeys): in the tests' own store, never the user's.
        env["FEDTOP_KEYS"] = testKeyStore
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A fresh directory for one test's files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `name` in a fresh directory and returns the path.
func writeRunFile(_ name: String, _ text: String) throws -> String {
    let path = try temporaryDirectory().appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
