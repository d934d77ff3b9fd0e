import Datasets
import Foundation
import TensorCore
import Transport

/// What remote hospitals cost (`fedtop bench transport`), over loopback with mutual TLS 1.3 and
/// certificates made as `fedtop certs init` makes them (in a scratch folder, removed at the end).
///
/// - Rounds: the same federation twice — 3 local hospitals, then 3 `fedtop hospital` child
///   processes — on `lesions:IMAGES` with `lesioncnn`, sample-level DP-SGD, the same seed, shards,
///   σ and settings. The remote hospitals hold exactly the local ones' records (`--shard i/3` splits
///   as 3 local hospitals do; each standardises its own). Medians over rounds 2… of the round period
///   (``RoundTimings``). The local run gets `FEDTOP_WORKERS=localWorkers` so its three hospitals
///   train at once, as three processes do. Neither run attacks its model after each round (the live
///   membership audit needs the records, which the remote run does not hold): the same work on both
///   sides.
/// - Bytes per round: what ``RemoteHospital`` moves for each hospital — the model down and the
///   update up (Train), the new model down again (Evaluate) — as Float32 payload; headers, HTTP/2
///   and TLS framing are not counted. Their time is bytes ÷ the measured transfer rate, as if sent
///   one after another. Bound (issue 6): remote − local − that time ≤ 20 ms per round.
/// - Transfer rate: ``ModelTransferRate`` (a ~12.6 MB model through Evaluate). Bound ≥ 300 MB/s.
///
/// Contract: every child process (hospitals, the two runs) is stopped when ``measure(executable:factory:scenarioArguments:announce:)``
/// returns, throws, or the process is interrupted (``BenchChildren``); errors name the step and the
/// child that failed, with the end of its standard error. Two runs that did not do the same work (a
/// round missing a hospital, a different σ) are an error, not a measurement.
public struct TransportBenchmark: Sendable {
    /// The federations timed, each in its own child process (`--scenario NAME`).
    public enum Scenario: String, Sendable {
        case local, remote
    }

    public static let hospitalNames = ["hospital-1", "hospital-2", "hospital-3"]
    public static let addedBoundMilliseconds = 20.0
    public static let rateBoundMegabytesPerSecond = 300.0
    public static let transferRecords = 20
    /// Warm-up Evaluate calls before the timed ones.
    public static let warmup = 3

    public var rounds: Int
    /// Images of `lesions:COUNT` shared among the 3 hospitals.
    public var images: Int
    public var batchSize: Int
    public var epsilon: Double
    public var seed: UInt64
    /// `FEDTOP_WORKERS` of the local run.
    public var localWorkers: Int
    /// Features per record of the transfer dataset (the mlp has about 64 parameters per feature).
    public var transferFeatures: Int
    public var transferRepeats: Int

    public init(rounds: Int, images: Int, batchSize: Int, epsilon: Double, seed: UInt64, localWorkers: Int,
                transferFeatures: Int, transferRepeats: Int) {
        self.rounds = rounds
        self.images = images
        self.batchSize = batchSize
        self.epsilon = epsilon
        self.seed = seed
        self.localWorkers = localWorkers
        self.transferFeatures = transferFeatures
        self.transferRepeats = transferRepeats
    }

    public var dataset: String { "lesions:\(images)" }

    /// The numbers of one benchmark, derived as the type's doc comment says (times in seconds).
    public struct Report: Sendable {
        public var hospitals: Int
        public var parameters: Int
        public var featureShape: [Int]
        public var local: ScenarioMeasurement
        public var remote: ScenarioMeasurement
        public var transfer: ModelTransferRate.Result

        public var localPeriod: Double { local.timings.period }
        public var remotePeriod: Double { remote.timings.period }
        public var difference: Double { remotePeriod - localPeriod }
        /// Train (model down, update up) and Evaluate (model down) for each hospital.
        public var bytesPerRound: Int { hospitals * 3 * 4 * parameters }
        public var transferPerRound: Double { Double(bytesPerRound) / (transfer.megabytesPerSecond * 1e6) }
        public var addedBeyondBytes: Double { difference - transferPerRound }
        /// The same at the bound's rate (300 MB/s): what the round would add if the transfer met its bound.
        public var transferPerRoundAtBound: Double { Double(bytesPerRound) / (TransportBenchmark.rateBoundMegabytesPerSecond * 1e6) }
        public var addedBeyondBytesAtBound: Double { difference - transferPerRoundAtBound }

        /// Whether `added` seconds per round meet the bound: never "met" when remote − local is
        /// negative (remote hospitals do all that local ones do and more, so that is noise, or unequal
        /// work, and says nothing about the bound).
        public func verdict(added: Double) -> String {
            if difference < 0 { return "not measured (remote − local is negative: noise; run more rounds)" }
            return added * 1000 <= TransportBenchmark.addedBoundMilliseconds ? "met" : "not met"
        }
    }

    /// The whole benchmark, from this process: certificates, the two runs as children of `executable`
    /// (`scenarioArguments` gives a run's arguments: its scenario, the scratch folder, the remote
    /// hospitals' arguments), the hospitals, and the transfer rate. `announce` is told the scratch folder.
    public func measure(executable: URL, factory: some BenchFederationFactory,
                        scenarioArguments: (_ scenario: Scenario, _ scratch: String, _ extra: [String]) -> [String],
                        announce: (_ scratch: String) -> Void) throws -> Report {
        let names = Self.hospitalNames
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedtop-bench-transport-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())").path
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw BenchmarkError("bench transport: cannot create the scratch folder \(folder): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let children = BenchChildren(executable: executable, scratch: folder)
        defer { children.stopAll() }   // runs before the folder is removed

        announce(folder)
        let certs = folder + "/certs"
        do {
            _ = try FederationCertificates.provision(into: certs, hospitals: names + ["transfer"], validityDays: 1)
        } catch { throw BenchmarkError("bench transport: provisioning the certificates in \(certs) failed: \(error)") }

        let lesions = try DatasetSource.load(dataset)
        let parameters = try ModelZoo.make("lesioncnn", inputShape: lesions.featureShape, classes: lesions.classNames.count,
                                           seed: seed).parameterCount

        func run(_ scenario: Scenario, environment: [String: String] = [:], extra: [String] = []) throws -> ScenarioMeasurement {
            let output = Pipe()
            let process = try children.start("the \(scenario.rawValue) run", arguments: scenarioArguments(scenario, folder, extra),
                                              environment: environment, stdout: output)
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            children.stop(process)
            guard process.terminationStatus == 0, let measurement = ScenarioMeasurement.decoded(data) else {
                throw BenchmarkError("bench transport: the \(scenario.rawValue) run failed (exit status \(process.terminationStatus); "
                                     + "its error is above)")
            }
            return measurement
        }
        let local = try run(.local, environment: ["FEDTOP_WORKERS": String(localWorkers)])
        var hospitals: [HospitalChild] = []
        for (i, name) in names.enumerated() {
            hospitals.append(try HospitalChild.start(in: folder, children: children, name: name, arguments: [
                "--listen", "127.0.0.1:0", "--certs", certs + "/" + name, "--dataset", dataset,
                "--shard", "\(i + 1)/\(names.count)", "--seed", String(seed), "--epsilon-budget", String(epsilon),
                "--ledger", folder + "/ledger-" + name, "--rate-limit", "1000"]))
        }
        let remote: ScenarioMeasurement
        do {
            remote = try run(.remote, extra: hospitals.flatMap { ["--hospital-address", $0.endpoint] } + ["--console-certs", certs + "/console"])
        } catch {
            throw BenchmarkError("\(error)" + hospitals.map { "\n  \($0.name)" + HospitalChild.tail($0.stderrPath) }.joined())
        }
        for h in hospitals { children.stop(h.process) }
        for (name, run) in [("local", local), ("remote", remote)] where run.minAggregated < names.count {
            throw BenchmarkError("bench transport: a round of the \(name) run aggregated \(run.minAggregated) updates, not "
                                 + "\(names.count): a hospital missed it, so the two runs are not the same work")
        }
        guard abs(local.noiseMultiplier - remote.noiseMultiplier) <= 1e-9 * max(1, local.noiseMultiplier) else {
            throw BenchmarkError("bench transport: the two runs trained with different noise (σ \(local.noiseMultiplier) local, "
                                 + "\(remote.noiseMultiplier) remote); their rounds are not the same work")
        }

        let transferSpec = try ModelTransferRate.writeDataset(folder: folder, features: transferFeatures, records: Self.transferRecords,
                                                              seed: seed)
        let transferHospital = try HospitalChild.start(in: folder, children: children, name: "transfer", arguments: [
            "--listen", "127.0.0.1:0", "--certs", certs + "/transfer", "--dataset", transferSpec, "--shard", "1/1",
            "--seed", String(seed), "--ledger", folder + "/ledger-transfer", "--rate-limit", "1000",
            // The transfer is timed with Evaluate calls, many per round on a small test split: this benchmark hospital's
            // policy says so (a real hospital's default answers 2 per trained round, on 10 test records or more).
            "--evaluations-per-round", "any", "--min-evaluation-records", "0"])
        let transfer: ModelTransferRate.Result
        do {
            transfer = try ModelTransferRate.measure(dataset: transferSpec, endpoint: transferHospital.endpoint,
                                                     consoleCerts: certs + "/console", seed: seed, testFraction: 0.2,
                                                     repeats: transferRepeats, warmup: Self.warmup, attach: factory.attach)
        } catch { throw BenchmarkError("\(error)" + HospitalChild.tail(transferHospital.stderrPath)) }
        children.stop(transferHospital.process)
        return Report(hospitals: names.count, parameters: parameters, featureShape: lesions.featureShape, local: local, remote: remote,
                      transfer: transfer)
    }

    /// One of the two runs, in this process (a child of ``measure(executable:factory:scenarioArguments:announce:)``):
    /// the local one with 3 local hospitals, the remote one with the 3 hospitals at `hospitalAddresses`.
    /// Its run folder, under `scratch`, is removed at the end.
    public func runScenario(_ scenario: Scenario, hospitalAddresses: [String], consoleCerts: String?, scratch: String?,
                            factory: some BenchFederationFactory) throws -> ScenarioMeasurement {
        let base = scratch ?? FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-transport-\(getpid())").path
        let out = base + "/run-\(scenario.rawValue)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var spec = BenchFederationSpec(dataset: dataset, rounds: rounds, batchSize: batchSize, model: "lesioncnn", epsilon: epsilon,
                                       seed: seed, out: out)
        // The same work on both sides: the live audit needs the hospitals' records, which the remote run does not hold.
        spec.liveAudit = false
        switch scenario {
        case .local: spec.hospitals = Self.hospitalNames.count
        case .remote:
            spec.remoteHospitals = hospitalAddresses
            spec.consoleCerts = consoleCerts
        }
        return try ScenarioMeasurement.measure(spec, factory: factory, context: "bench transport: the \(scenario.rawValue) run")
    }
}
