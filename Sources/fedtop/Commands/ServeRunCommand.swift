import ArgumentParser
import Console
import Federation
import Foundation
import Hummingbird
import Logging
import NIOSSL
import Serving
import ServingServer
import TensorCore

/// `fedtop serve run RUN_DIR`: the run's trained model behind the API of `Sources/ServingAPI/openapi.yaml`.
///
/// Refuses to start (exit 1, naming what is missing) without TLS material unless `--insecure` on a
/// loopback address, with a state folder open to others or used by another server, without an active API key, or with a model it cannot verify against a key the
/// operator holds (its own key store, or `--model-key`).
struct ServeRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve a run's latest signed checkpoint over HTTPS (HTTP/2 and HTTP/1.1), authenticated, rate-limited and audited.")

    @Argument(help: ArgumentHelp("The run folder (fedtop run --out), or its current model.safetensors (.enc).", valueName: "RUN_DIR|MODEL"))
    var runOrModel: String

    /// The run folder: `runOrModel` itself, or the folder of its current checkpoint file. Only the current file
    /// names its folder (a `model.prev.safetensors` would otherwise be served as the latest).
    var runDirectory: String {
        let url = URL(fileURLWithPath: runOrModel)
        return ["model.safetensors", "model.safetensors.enc"].contains(url.lastPathComponent) ? url.deletingLastPathComponent().path : runOrModel
    }
    @Option(help: ArgumentHelp("Address and port to listen on.", valueName: "HOST:PORT")) var listen = "127.0.0.1:8443"
    @Flag(help: "Plain HTTP/1.1 without TLS; only on a loopback address (127.0.0.1, ::1, localhost).") var insecure = false
    @Option(help: ArgumentHelp("The server's certificate chain (PEM).", valueName: "FILE")) var tlsCert: String?
    @Option(help: ArgumentHelp("The server's private key (PEM, mode 0600).", valueName: "FILE")) var tlsKey: String?
    @Option(help: ArgumentHelp("Also accept client certificates issued by this CA (PEM), with the predict scope.", valueName: "FILE"))
    var clientCa: String?
    @Option(help: ArgumentHelp("The public key the model must be signed with (a copy of the run's signing.pub); default: the operator's key store ($FEDTOP_KEYS).",
                               valueName: "FILE")) var modelKey: String?
    @Option(help: ArgumentHelp("The key of a checkpoint encrypted at rest (a 0600 file of 64 hex digits); default: $FEDTOP_CHECKPOINT_KEY.",
                               valueName: "FILE")) var checkpointKeyFile: String?
    @OptionGroup var state: ServeStateOption
    @OptionGroup(title: "Live panel") var panel: ServePanelOptions
    @Option(help: "Records in one /v1/predict request.") var maxBatch = 64
    @Option(help: "Records in one /v1/predict/private request.") var maxPrivateBatch = 16
    @Option(help: "Bytes of one request body.") var maxBodyBytes = 4 << 20
    @Option(help: "Milliseconds a request may take before it is refused (never after a privacy spend).") var deadlineMs = 2_000
    @Option(help: "Requests in flight at once; more are refused with 503.") var maxConcurrent = 64
    @Option(help: "Largest |value| of a standardised feature (default: the run's feature clip, else 10).") var maxZ: Double?
    @Option(help: "Sponge policy: largest variance of one record's values.") var maxVariance = 100.0
    @Option(help: "ε of one private answer (report-noisy-max).") var privateEpsilon = 2.0
    @Option(help: "Failed authentications one client address (IPv4, or IPv6 /64) may make at once; past them it gets 429 whatever it sends.")
    var authFailureBurst = 20
    @Option(help: "Failed authentications a second refilled to each address's allowance.") var authFailureRate = 0.5
    @Option(name: .customLong("cors-origin"),
            help: ArgumentHelp("A web origin (https://host[:port]) whose pages may call the API; repeatable. Default: none (CORS off).", valueName: "ORIGIN"))
    var corsOrigins: [String] = []

    func validate() throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: runOrModel, isDirectory: &isFolder), !isFolder.boolValue,
           !["model.safetensors", "model.safetensors.enc"].contains(URL(fileURLWithPath: runOrModel).lastPathComponent) {
            throw ValidationError("\(runOrModel): give the run folder, or its current model.safetensors (or .enc); other files are not served")
        }
        guard (1...1_024).contains(maxBatch), (1...1_024).contains(maxPrivateBatch) else { throw ValidationError("--max-batch and --max-private-batch must be from 1 to 1024") }
        guard (1_024...(256 << 20)).contains(maxBodyBytes) else { throw ValidationError("--max-body-bytes must be from 1024 to 268435456") }
        guard (10...600_000).contains(deadlineMs), (1...10_000).contains(maxConcurrent) else { throw ValidationError("--deadline-ms or --max-concurrent out of range") }
        guard maxVariance > 0, maxVariance.isFinite, (maxZ ?? 1) > 0 else { throw ValidationError("--max-variance and --max-z must be positive") }
        guard privateEpsilon > 0, privateEpsilon <= ServeLimits.maximumPrivateEpsilon else {
            throw ValidationError("--private-epsilon must be in (0, \(ServeLimits.maximumPrivateEpsilon)]: above it the mechanism's floating-point noise no longer gives ε-DP")
        }
        guard (1...1_000_000).contains(authFailureBurst), authFailureRate >= 0.001, authFailureRate <= 1_000_000 else {
            throw ValidationError("--auth-failure-burst must be from 1 to 1000000 and --auth-failure-rate from 0.001 to 1000000")
        }
        _ = try address()
        do { _ = try CORSPolicy(origins: corsOrigins) } catch { throw ValidationError("--cors-origin \(error)") }
    }

    /// `HOST:PORT` (an IPv6 host in brackets).
    func address() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--listen \(listen): expected HOST:PORT")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen \(listen): no host") }
        return (host, port)
    }

    func run() throws {
        ServeApplication.runConcurrencyOnEventLoops()
        let (host, port) = try address()
        // No open door: TLS unless --insecure on loopback; keys before anything listens.
        let tls = try tlsConfiguration(host: host)
        try state.prepare()
        let hold = try ServeStateLock.acquire(directory: state.directory)  // one server per state folder
        defer { hold.release() }
        let keys = try KeyRing(path: state.keysPath)
        let verifier = try trustedKey()
        let encryption = try checkpointKey()
        let model = try ServedModel.load(runDirectory: runDirectory, verifier: verifier, encryption: encryption)
        var limits = ServeLimits()
        limits.maxBatch = maxBatch
        limits.maxPrivateBatch = maxPrivateBatch
        limits.maxBodyBytes = maxBodyBytes
        limits.deadlineMilliseconds = deadlineMs
        limits.maxConcurrentRequests = maxConcurrent
        limits.maxAbsValue = maxZ ?? model.provenance?.featureClip.map(Double.init) ?? 10
        limits.maxRecordVariance = maxVariance
        limits.privateEpsilonPerAnswer = privateEpsilon
        limits.failedAuthenticationBurst = authFailureBurst
        limits.failedAuthenticationsPerSecond = authFailureRate
        let audit = try ServeAuditLog(directory: state.directory)
        let metrics = ServeMetrics(), statistics = ServeStatistics()
        let api = ServeAPI(model: model, card: ModelCard.read(runDirectory: runDirectory), limits: limits,
                           ledgers: try AnswerLedgers(stateDirectory: state.directory), metrics: metrics)
        let cors = corsOrigins.isEmpty ? nil : try CORSPolicy(origins: corsOrigins)
        let settings = ServeSettings(tls: tls, host: host, port: port, limits: limits, cors: cors)
        let parts = ServeParts(api: api, keys: keys, audit: audit, metrics: metrics, statistics: statistics)
        let scheme = tls == nil ? "http" : "https", protocols = tls == nil ? "HTTP/1.1, --insecure" : "HTTP/2 and HTTP/1.1 over TLS ≥ 1.2"
        let shownHost = host.contains(":") ? "[\(host)]" : host, keysPath = state.keysPath, auditPath = audit.path
        let wantsPanel = panel.wantsPanel
        let bound = SharedValue<Int>(), running = DispatchSemaphore(value: 0)
        // The panel owns the terminal: the server's log goes to a private file in the state folder then; in
        // lines mode, to stderr, apart from the figures on stdout.
        let logger = wantsPanel ? try ServeLogFile.logger(directory: state.directory)
                                : Logger(label: "fedtop.serve") { StreamLogHandler.standardError(label: $0) }
        let app = try ServeApplication.makeApplication(router: try ServeApplication.makeRouter(settings: settings, parts: parts), settings: settings,
                                                       logger: logger,
                                                       onServerRunning: { channel in
            // The port bound (the one asked for, or the system's choice for port 0).
            let port = channel.localAddress?.port ?? port
            bound.set(port)
            if !wantsPanel { say("listening on \(scheme)://\(shownHost):\(port) (\(protocols)); keys \(keysPath); audit log \(auditPath); Ctrl-C stops") }
            running.signal()
        })

        let modelLine = "\(model.model.kind), \(model.featureCount) features → \(model.classNames.joined(separator: ", ")); signed by \(verifier.fingerprint.prefix(16))…"
        say("fedtop serve: \(model.provenance?.run ?? runDirectory), round \(model.round), \(model.model.kind) "
              + "(\(model.featureCount) features, classes \(model.classNames.joined(separator: ", "))), signed by \(verifier.fingerprint.prefix(16))…")
        let problems: @Sendable () -> [String] = {
            var found: [String] = []
            if let failure = audit.failed { found.append("the audit log failed (\(failure)); refusing requests") }
            if let problem = keys.currentProblem { found.append("\(problem); keeping the keys loaded before") }
            return found
        }
        let finished = SharedValue<Bool>(), failure = SharedValue<String>()
        Task {
            do { try await app.runService() } catch { failure.set("\(error)") }
            finished.set(true)
            running.signal()  // also when it failed before listening
        }
        var panelShown = false
        if wantsPanel {
            running.wait()
            if failure.get() == nil {
                let session = ServePanelSession(themes: ConsoleOptions.themeLoader(themeDir: panel.themeDir), themeName: panel.theme,
                                                glyphs: panel.ascii ? .ascii : .unicode)
                let start = ServeDashboardModel(title: "\(model.provenance?.run ?? runDirectory) · round \(model.round)", modelLine: modelLine,
                                                address: "\(scheme)://\(shownHost):\(bound.get() ?? port) (\(protocols))")
                do {
                    let last = try session.run(model: start, sample: { ServeSample(statistics.take()) }, problems: problems,
                                               finished: { finished.get() == true }, quit: { kill(getpid(), SIGTERM) })
                    panelShown = true
                    say("fedtop serve: stopped after \(last.totalRequests) requests (\(last.totalAnswered) answered); refused: "
                        + (last.refusalTotals.isEmpty ? "none" : last.refusalTotals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
                } catch {
                    FileHandle.standardError.write(Data("fedtop serve: no live panel (\(error)); a line a second instead\n".utf8))
                }
            }
        }
        if !panelShown {
            if wantsPanel, let port = bound.get() {
                say("listening on \(scheme)://\(shownHost):\(port) (\(protocols)); keys \(keysPath); audit log \(auditPath); "
                    + "server log \(ServeLogFile.path(directory: state.directory)); Ctrl-C stops")
            }
            let ticker = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "fedtop.serve.ticker"))
            ticker.schedule(deadline: .now() + 1, repeating: 1)
            ticker.setEventHandler {
                let interval = statistics.take()
                if interval.requests > 0 { say(interval.line) }
                for problem in problems() { FileHandle.standardError.write(Data("fedtop serve: \(problem)\n".utf8)) }
            }
            ticker.resume()
            while finished.get() != true { _ = running.wait(timeout: .now() + 0.2) }
            ticker.cancel()
        }
        audit.close()
        if let message = failure.get() { throw RunError("fedtop serve: \(message)") }
    }

    private func tlsConfiguration(host: String) throws -> TLSConfiguration? {
        if insecure {
            guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
                throw ValidationError("--insecure serves plain HTTP and is only allowed on a loopback address, not \(host)")
            }
            guard tlsCert == nil, tlsKey == nil else { throw ValidationError("--insecure and --tls-cert/--tls-key exclude each other") }
            return nil
        }
        guard let tlsCert, let tlsKey else {
            throw ValidationError("TLS is required: give --tls-cert and --tls-key (PEM), or --insecure on a loopback address")
        }
        try Self.refuseExposed(tlsKey, what: "the TLS key")
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tlsCert)
            guard !chain.isEmpty else { throw RunError("\(tlsCert): no certificate in the file") }
            let key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
            let clients = try clientCa.map { try NIOSSLCertificate.fromPEMFile($0) } ?? []
            return ServeSettings.serverTLS(certificateChain: chain, privateKey: key, clientCA: clients)
        } catch let error as RunError { throw error } catch {
            throw RunError("cannot read the TLS material (\(tlsCert), \(tlsKey)\(clientCa.map { ", " + $0 } ?? "")): \(error)")
        }
    }

    /// The key the model must be signed with: `--model-key`, else the one in the operator's key store
    /// that matches the run's `signing.pub` (a run folder's own `signing.pub` proves nothing by itself).
    private func trustedKey() throws -> CheckpointVerifier {
        if let modelKey { return try CheckpointVerifier.load(from: modelKey) }
        let fingerprint = try CheckpointSigner.runFingerprint(runDirectory: runDirectory)
        let stored = RunKeys.store + "/" + fingerprint + "/" + CheckpointSigner.publicKeyFileName
        guard FileManager.default.fileExists(atPath: stored) else {
            throw RunError("\(runDirectory)/signing.pub names key \(fingerprint.prefix(16))…, which is not in your key store (\(RunKeys.store)); "
                           + "give the run's public key with --model-key FILE if you trust it")
        }
        return try CheckpointVerifier.load(from: stored)
    }

    /// A secret file that group or others may read is refused, naming it and the fix.
    private static func refuseExposed(_ path: String, what: String) throws {
        if let mode = POSIXFile.mode(of: path), mode & 0o077 != 0 {
            throw RunError("\(path): \(what) has mode \(String(mode, radix: 8)), readable by others; run `chmod 600 \(path)`")
        }
    }

    private func checkpointKey() throws -> CheckpointEncryption? {
        if let checkpointKeyFile {
            try Self.refuseExposed(checkpointKeyFile, what: "the checkpoint key")
            let text = try String(contentsOfFile: checkpointKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return try CheckpointEncryption(keyText: text, source: checkpointKeyFile)
        }
        let encrypted = FileManager.default.fileExists(atPath: runDirectory + "/model.safetensors.enc.sig")
        return encrypted ? try CheckpointEncryption.fromEnvironment() : nil
    }
}

/// A line on stdout, written at once (the server's log is read live, often through a pipe).
private func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// A value set by one thread and read by another.
private final class SharedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    func set(_ v: Value) { lock.withLock { value = v } }
    func get() -> Value? { lock.withLock { value } }
}

extension ServeSample {
    /// The server's last interval as the panel draws it.
    init(_ i: ServeStatistics.Interval) {
        self.init(requests: i.requests, answered: i.answered, p50Milliseconds: i.p50Milliseconds, p99Milliseconds: i.p99Milliseconds,
                  refusals: i.refusals, rateLimitedKeys: i.rateLimitedKeys.count)
    }
}
