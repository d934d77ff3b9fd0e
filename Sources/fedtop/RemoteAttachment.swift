import Federation
import Foundation
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
        var hospitals: [RemoteHospital] = []
        for endpoint in plan.remoteHospitals {
            do {
                if plan.insecure {
                    hospitals.append(try RemoteHospital.connect(to: endpoint, makeTransport: { try endpoint.plaintextTransport(config: $0) },
                                                                runID: runID, signingKey: nil))
                } else {
                    throw UsageError("--hospital \(endpoint): mutual TLS is not wired yet")
                }
            } catch let error as UsageError {
                throw error
            } catch {
                throw UsageError("--hospital \(endpoint): \(error)")
            }
        }
        return hospitals
    }
}
