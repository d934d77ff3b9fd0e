import Audit
import Benchmarks
import Datasets
import Federation
import Foundation
import Privacy
import TensorCore
import Transport

/// The hospital `fedtop audit sweep --sweeps exhaustion` attacks: two real hospitals on loopback (the
/// production ``HospitalTrainer`` behind ``HospitalService`` and ``HospitalServer``, a third of WDBC,
/// the MLP), one with `fedtop hospital`'s default work limits and one without, and a
/// ``HospitalProbe`` holding the console's signing key for each.
///
/// Memory is the growth of this process's peak resident set over one request: the peak is reset
/// through `/proc/self/clear_refs` before it (nil where the kernel refuses).
final class ExhaustionTarget: HospitalSponge.Target {
    let model: Sequential
    let trainRecords: Int
    let limits: String
    private let servers: [HospitalServer]
    private let probes: [HospitalProbe]

    init(scratch: String) throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let wdbc = try BuiltinDataset.wdbc()
        let share = try Partitioner.partition(wdbc, hospitals: 3, scheme: .iid, testFraction: 0.2, seed: 1)[0]
        let standardizer = Standardizer.fit(share.train)
        let data = HospitalData(train: standardizer.apply(share.train), test: standardizer.apply(share.test))
        model = try ModelZoo.make("mlp", inputShape: wdbc.featureShape, classes: 2, seed: 1)
        trainRecords = data.train.count
        let standard = WorkLimits.standard
        limits = "at most \(standard.maxParameters) parameters, \(standard.maxLocalEpochs) local epochs, "
            + "\(standard.maxStepsPerRound) steps and batch \(standard.maxBatchSize) per round"
        let open = WorkLimits(maxParameters: 1 << 40, maxLocalEpochs: 1 << 20, maxStepsPerRound: 1 << 40, maxBatchSize: 1 << 30)
        let key = ModelSigningKey()
        var servers: [HospitalServer] = [], probes: [HospitalProbe] = []
        for (name, workLimits) in [("limited", standard), ("unlimited", open)] {
            let hospital = try HospitalTrainer(
                name: name, data: data, architecture: model,
                privacy: .init(ledgerPath: "\(scratch)/\(name).ledger", epsilonBudget: 1e9, delta: 1e-5, noiseSeed: nil,
                               seal: try LedgerSeal.loadOrCreate(directory: "\(scratch)/seal", name: name)),
                policy: .permissive, seed: 1, gate: ComputeGate())
            let service = HospitalService(
                hospital: hospital, facts: .init(datasetName: "wdbc", featureShape: wdbc.featureShape, classNames: wdbc.classNames),
                // The per-peer rate limit is a defence of its own (TransportTests); here it would only throttle the audit.
                configuration: .init(limits: workLimits, modelKey: key.verifyingKey, rateLimiter: RateLimiter(ratePerSecond: 10_000, burst: 10_000)),
                log: try HospitalLog(name: name, auditPath: "\(scratch)/\(name)-audit.jsonl", echo: false))
            let server = try HospitalServer.insecure(service: service, host: "127.0.0.1", port: 0)
            let port = try server.start()
            servers.append(server)
            probes.append(HospitalProbe(endpoint: .init(host: "127.0.0.1", port: port, insecure: true), signingKey: key))
        }
        self.servers = servers
        self.probes = probes
    }

    func send(_ round: HospitalSponge.Round, limited: Bool) throws -> HospitalSponge.Measurement {
        let before = Self.resetPeak()
        let answer = try probes[limited ? 0 : 1].train(.init(
            architecture: round.announced.kind, announced: round.announced, claimedParameters: round.claimedParameters,
            values: round.values, settings: round.settings, signed: round.signed))
        let growth = before.flatMap { b in PeakMemory.residentBytes().map { max(0, $0 - b) } }
        return .init(refusal: answer.refusal, seconds: answer.seconds, peakGrowthBytes: growth)
    }

    func stop() {
        for server in servers { server.stop() }
    }

    /// Resets the peak resident set to the current one; returns it (nil if the kernel refuses).
    static func resetPeak() -> Int? {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return nil }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return nil }
        return PeakMemory.residentBytes()
    }
}
