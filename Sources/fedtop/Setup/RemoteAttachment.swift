import RunConfiguration
import Federation
import Foundation
import Privacy
import Transport

extension DataFacts {
    /// A remote hospital's description of its data, from its Hello (never a record).
    init(_ introduction: RemoteHospital.Introduction) {
        self.init(name: introduction.datasetName, count: introduction.summary.trainRecords + introduction.summary.testRecords,
                  featureShape: introduction.featureShape, classes: introduction.classNames.count)
    }
}

/// Attaches a run's remote hospitals (`--hospital`): mutual TLS with the console's credentials
/// (`--certs`), or plaintext on loopback with `--insecure`; each says Hello before the run starts.
enum RemoteAttachment {
    static func connect(_ plan: RunPlan) throws -> [RemoteHospital] {
        guard !plan.remoteHospitals.isEmpty else { return [] }
        let runID = "\(plan.name ?? "fedtop")-\(UUID().uuidString.prefix(8).lowercased())"
        var credentials: ConsoleCredentials?
        if !plan.insecure {
            guard let folder = plan.certs else {
                throw UsageError("remote hospitals need the console's certificates: --certs DIR (the console folder of `fedtop certs init`)")
            }
            do { credentials = try ConsoleCredentials.load(folder: folder) } catch { throw UsageError("--certs \(error)") }
        }
        var hospitals: [RemoteHospital] = []
        for endpoint in plan.remoteHospitals {
            let refusals = Refusals()
            do {
                if let credentials {
                    hospitals.append(try RemoteHospital.connect(to: endpoint, makeTransport: { config in
                        try credentials.makeClientTransport(host: endpoint.host, port: endpoint.port, expectedHospital: endpoint.expectedName,
                                                            config: config) { refusals.add($0) }
                    }, runID: runID, signingKey: credentials.modelSigningKey))
                } else {
                    hospitals.append(try RemoteHospital.connect(to: endpoint, makeTransport: { try endpoint.plaintextTransport(config: $0) },
                                                                runID: runID, signingKey: nil))
                }
            } catch {
                // The handshake's own reason (a certificate refused) says more than "did not answer".
                let why = refusals.first.map { "\(error); TLS: \($0)" } ?? "\(error)"
                throw UsageError("--hospital \(endpoint): \(why)")
            }
        }
        return hospitals
    }
}

extension RemoteAttachment {
}

/// Reasons the TLS layer refused a hospital's certificate (told from NIO's threads).
final class Refusals: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String] = []

    func add(_ reason: String) { lock.withLock { reasons.append(reason) } }
    var first: String? { lock.withLock { reasons.first } }
}
