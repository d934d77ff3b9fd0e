import Federation
import Foundation
import Privacy
import Transport

/// What a run needs to know about its data to build the model: from the records when the console
/// holds some (local hospitals, a central hold-out), else from the first remote hospital's Hello.
struct DataFacts {
    var name: String
    var count: Int
    var featureShape: [Int]
    var classes: Int

    init(name: String, count: Int, featureShape: [Int], classes: Int) {
        self.name = name
        self.count = count
        self.featureShape = featureShape
        self.classes = classes
    }

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
    /// Refuses, at attach time, a run that a remote hospital's own privacy policy (announced in Hello)
    /// would refuse round by round: one line naming the hospital and the rule. The hospital checks
    /// again on every request; this only spares the operator a run that cannot train.
    static func checkPolicies(_ remotes: [RemoteHospital], plan: RunPlan, noiseMultiplier: Double, firstRound: Int) throws {
        let settings = RoundSettings(
            round: firstRound, localEpochs: plan.localEpochs, batchSize: plan.batchSize, learningRate: plan.learningRate,
            momentum: plan.momentum,
            samplePrivacy: plan.privacy.sampleLevel ? .init(noiseMultiplier: noiseMultiplier, clipNorm: plan.clip) : nil)
        for remote in remotes {
            if let (policy, rule) = HospitalPolicy.refusal(by: remote, of: settings) {
                throw UsageError("--hospital \(remote.endpoint): \(remote.name) refuses this run: \(rule) "
                                 + "(its policy: \(policy.summary))")
            }
        }
    }
}

/// Reasons the TLS layer refused a hospital's certificate (told from NIO's threads).
final class Refusals: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String] = []

    func add(_ reason: String) { lock.withLock { reasons.append(reason) } }
    var first: String? { lock.withLock { reasons.first } }
}
