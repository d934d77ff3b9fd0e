import ArgumentParser
import AsyncHTTPClient
import Audit
import Federation
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TensorCore
import Transport

/// `fedtop audit serve URL`: attacks a running `fedtop serve` from outside (``ServeAPIAudit``) and
/// writes the report as the other audits do.
struct AuditServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Attack a running fedtop serve: sponge inputs, membership inference and evasion through the API, rate-limit exhaustion, key brute force.",
        discussion: """
            The key (predict scope) is read from $FEDTOP_API_KEY or --key-file, never from the command line, where other users \
            could read it. Give --run DIR, the served run, for membership inference and evasion (they need its records and model). \
            The brute force throttles this machine's address for a while: run the audit against a server no one else uses from here.
            """)

    @Argument(help: ArgumentHelp("The server's base URL (https://host:port, or http:// on loopback).", valueName: "URL")) var url: String
    @Option(help: ArgumentHelp("A file holding the API key (mode 0600); default: $FEDTOP_API_KEY.", valueName: "FILE")) var keyFile: String?
    @Option(help: ArgumentHelp("The CA (PEM) that issued the server's certificate, for https:// (default: the system's).", valueName: "FILE"))
    var ca: String?
    @Option(name: .customLong("run"), help: ArgumentHelp("The served run's folder: membership inference and evasion.", valueName: "DIR"))
    var runDirectory: String?
    @Option(help: ArgumentHelp("Where to write the report.", valueName: "DIR")) var out: String
    @Option(help: "Random keys tried.") var guesses = 100
    @Option(help: "Members (and as many non-members) attacked through the API at most.") var targets = 200
    @Option(help: "Held-out records attacked with FGSM and PGD.") var evasionRecords = 200
    @Option(help: "Perturbation sizes for FGSM/PGD, in standard deviations of each feature.") var perturbations = "0,0.1,0.3,0.5,1"

    func validate() throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw ValidationError("\(url): expected http(s)://host:port")
        }
        if scheme == "http", !["127.0.0.1", "::1", "localhost", "[::1]"].contains(parsed.host ?? "") {
            throw ValidationError("\(url): plain http only on a loopback address (the key would cross the network in clear)")
        }
        guard (1...100_000).contains(guesses), (10...100_000).contains(targets), (1...100_000).contains(evasionRecords) else {
            throw ValidationError("--guesses 1…100000, --targets 10…100000, --evasion-records 1…100000")
        }
        _ = try AuditSweepCommand.numbers(perturbations, option: "--perturbations", allowInfinity: false)
    }

    func run() throws {
        let token = try apiKey()
        let epsilons = try AuditSweepCommand.numbers(perturbations, option: "--perturbations", allowInfinity: false)
        var records: ServeAPIAudit.RunRecords?
        if let runDirectory {
            let run = try AuditRunCommand.finishedRun(runDirectory, shadows: 0, targets: targets, perturbations: epsilons, command: "")
            let split = try run.membershipSplit()
            let count = min(evasionRecords, split.nonMembers.count)
            records = .init(model: run.model, targets: split.targets, test: split.nonMembers.subset(Array(0..<count)),
                            perturbations: epsilons, seed: run.plan.seed)
        }
        let client = try HTTPAttackClient(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url, ca: ca)
        defer { try? client.client.syncShutdown() }
        var audit = ServeAPIAudit(client: client, url: url, token: token, records: records,
                                  command: "fedtop audit serve \(url)" + (runDirectory.map { " --run \($0)" } ?? "") + " --out \(out) --guesses \(guesses)")
        audit.guesses = guesses
        let finished = audit
        let report = try Blocking.run { try await finished.run(log: { AuditSweepCommand.progress($0) }) }
        let written = try ReportWriter.write(report, to: out)
        print("fedtop audit serve: report in \(out)/report.html (\(written.count) files)")
        for section in report.sections {
            for table in section.tables {
                let verdict: String?
                if let column = table.columns.firstIndex(of: "verdict") {
                    let failed = table.rows.filter { $0[column] == "FAILED" }.count
                    verdict = failed == 0 ? "held" : "\(failed) FAILED"
                } else if let row = table.rows.first(where: { $0.first == "verdict" }) {
                    verdict = row.last
                } else if let range = table.caption.range(of: "verdict: ") {
                    verdict = String(table.caption[range.upperBound...].prefix { $0 != ")" })
                } else {
                    verdict = nil
                }
                if let verdict { print("  \(section.title): \(verdict)") }
            }
        }
    }

    private func apiKey() throws -> String {
        if let keyFile {
            if let mode = POSIXFile.mode(of: keyFile), mode & 0o077 != 0 {
                throw RunError("\(keyFile): the API key file has mode \(String(mode, radix: 8)), readable by others; run `chmod 600 \(keyFile)`")
            }
            guard let text = try? String(contentsOfFile: keyFile, encoding: .utf8) else { throw RunError("\(keyFile): cannot read the API key file") }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw RunError("\(keyFile): the API key file is empty") }
            return key
        }
        guard let key = ProcessInfo.processInfo.environment["FEDTOP_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
            throw RunError("no API key: set $FEDTOP_API_KEY or give --key-file FILE (a key with the predict scope)")
        }
        return key
    }
}

/// ``ServeAttackClient`` over AsyncHTTPClient: HTTP/1.1 or HTTP/2 over TLS trusting `ca` (or the
/// system's roots), plain HTTP/1.1 otherwise; a 120-second deadline a request.
final class HTTPAttackClient: ServeAttackClient {
    let client: HTTPClient
    let baseURL: String

    init(baseURL: String, ca: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let ca {
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) } catch {
                throw RunError("\(ca): cannot read the CA certificate: \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .seconds(30)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL
    }

    func send(method: String, path: String, token: String?, body: [UInt8]?) async throws -> ServeExchange {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let start = Date()
        let response = try await client.execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return ServeExchange(status: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after").flatMap { Int($0) },
                             body: Array(collected.readableBytesView), seconds: Date().timeIntervalSince(start))
    }
}
