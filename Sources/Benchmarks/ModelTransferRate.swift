import Datasets
import Federation
import Foundation
import TensorCore
import Transport

/// How fast a global model crosses the real console → hospital path: signed by the console
/// (Ed25519 over the SHA-256 of every parameter), split into ≤ 1 MiB chunks, sent over gRPC on
/// HTTP/2 with mutual TLS 1.3 to a `fedtop hospital` process, reassembled and verified there.
///
/// Method: a ``RemoteHospital`` attached to that hospital is asked to `evaluate(globalModel:)` a
/// large model again and again (the reply is a few bytes); a ``HospitalTrainer`` in this process,
/// holding the same share of the same records standardised the same way, evaluates the same model
/// to measure the hospital's own work (loading the parameters, the forward pass over its test
/// split). Rate = model bytes ÷ (median wall time of a remote call − median local evaluation),
/// in MB/s (10⁶ bytes).
///
/// Contract: the dataset is ``writeDataset(folder:features:records:seed:)``'s (random bytes, a
/// flat feature vector per record, so the zoo's `mlp` on it has 64·features + … parameters);
/// `measure` throws, naming what failed, if the hospital cannot be attached or a call fails (a
/// call refused because the connection was reported lost is retried once it is back, up to
/// ``maxDrops`` times, and the losses are reported).
/// Counted: the Float32 payload only (the header — shapes, signature, nonce — is a few hundred
/// bytes). Included in the time: signing, chunking, TLS, HTTP/2, reassembly, verification, and
/// the call's round trip. Not timed: the way back (the hospital's update to the console, unsigned),
/// which the Evaluate call does not carry.
public enum ModelTransferRate {
    /// One measurement: the rates measured and the settings they were measured with.
    public struct Result: Sendable {
        public var model: String
        public var parameters: Int
        public var bytes: Int
        public var repeats: Int
        /// Median seconds of one remote Evaluate call, as the console sees it.
        public var wall: Double
        /// Median seconds of the same evaluation in a local hospital (the hospital's own work).
        public var compute: Double
        /// Median seconds of signing (console) and verifying (hospital) the model, timed in this process.
        public var signing: Double
        public var verifying: Double
        /// Times the connection was reported lost (the hospital's Status stream ended) and came back;
        /// the calls refused meanwhile are not timed. The first reason given.
        public var drops: Int
        public var dropReason: String?

        public var megabytesPerSecond: Double { Double(bytes) / (wall - compute) / 1e6 }
    }

    /// Writes `records` records of `features` random bytes each, and alternating labels 0/1, as two
    /// `.npy` files in `folder`; returns the `--dataset` spec that names them.
    public static func writeDataset(folder: String, features: Int, records: Int, seed: UInt64) throws -> String {
        var generator = SeededGenerator(seed: seed)
        var x = npyHeader(descr: "|u1", shape: [records, features])
        x.reserveCapacity(x.count + records * features)
        for _ in 0..<(records * features) { x.append(UInt8(truncatingIfNeeded: generator.next())) }
        var y = npyHeader(descr: "|u1", shape: [records])
        y += (0..<records).map { UInt8($0 % 2) }
        let xPath = folder + "/transfer-features.npy", yPath = folder + "/transfer-labels.npy"
        do {
            try Data(x).write(to: URL(fileURLWithPath: xPath))
            try Data(y).write(to: URL(fileURLWithPath: yPath))
        } catch { throw BenchmarkError("bench transport: cannot write the transfer dataset in \(folder): \(error)") }
        return "npy:\(xPath),\(yPath)"
    }

    /// Most losses of the connection tolerated in one measurement before it fails.
    public static let maxDrops = 10

    /// Times `repeats` Evaluate calls (after `warmup`) to the hospital at `endpoint`, attached by
    /// `attach` (with the console's certificates in `consoleCerts`) as a run attaches its hospitals.
    public static func measure(dataset spec: String, endpoint: String, consoleCerts: String, seed: UInt64, testFraction: Double,
                               repeats: Int, warmup: Int,
                               attach: (_ endpoint: String, _ consoleCerts: String) throws -> RemoteHospital) throws -> Result {
        let data = try DatasetSource.load(spec)
        let model = try ModelZoo.make("mlp", inputShape: data.featureShape, classes: data.classNames.count, seed: seed)
        let parameters = model.parameters

        // The hospital's own work, in this process, on the share it holds.
        let share = try HospitalShares.share(0, of: data, hospitals: 1, scheme: .iid, testFraction: testFraction, seed: seed)
        let local = try HospitalTrainer(name: "transfer", data: share, architecture: model, privacy: nil, policy: .permissive, seed: seed, gate: ComputeGate())

        // The real console path, as `fedtop run --hospital … --certs …` attaches.
        let remote: RemoteHospital
        do { remote = try attach(endpoint, consoleCerts) } catch {
            throw BenchmarkError("bench transport: attaching the transfer hospital \(endpoint) failed: \(error)")
        }
        defer { remote.close() }
        let lost = DropReasons()   // why the connection dropped, if it does: the call's own error says only "offline"
        remote.onConnectionChange { _, connected, detail in if !connected { lost.add(detail) } }
        do { try remote.adopt(model) } catch { throw BenchmarkError("bench transport: \(endpoint) refused the model: \(error)") }

        var wall: [Double] = [], compute: [Double] = []
        var drops = 0, done = 0
        while done < warmup + repeats {
            // A hospital reported offline (its Status stream ended) is waited for, as the engine's
            // next round would; the call it refused is counted, not timed.
            let deadline = Date(timeIntervalSinceNow: 10)
            while !remote.isConnected, Date() < deadline { usleep(5_000) }
            let started = ContinuousClock.now
            do { _ = try remote.evaluate(globalModel: parameters) } catch {
                if case .offline = error, drops < maxDrops, remote.isConnected || Date() < deadline {
                    drops += 1
                    continue
                }
                throw BenchmarkError("bench transport: Evaluate call \(done + drops + 1) to \(endpoint) failed: \(error)"
                               + (lost.first.map { " (connection lost \(drops + 1) time(s), first: \($0))" } ?? ""))
            }
            let remoteSeconds = elapsed(since: started)
            let localStarted = ContinuousClock.now
            _ = try local.evaluate(globalModel: parameters)
            if done >= warmup {
                wall.append(remoteSeconds)
                compute.append(elapsed(since: localStarted))
            }
            done += 1
        }

        // Signing and verifying alone (both inside the wall time above).
        let credentials: ConsoleCredentials
        do { credentials = try ConsoleCredentials.load(folder: consoleCerts) } catch {
            throw BenchmarkError("bench transport: --certs \(consoleCerts): \(error)")
        }
        var signing: [Double] = [], verifying: [Double] = []
        for _ in 0..<max(3, repeats / 2) {
            let signed = ModelSignature(purpose: .evaluate, runID: "bench-transport", nonce: Array(repeating: 7, count: 16),
                                        architecture: model.kind, settings: nil, shapes: [])
            let t0 = ContinuousClock.now
            let signature = signed.sign(parameters: parameters, with: credentials.modelSigningKey)
            signing.append(elapsed(since: t0))
            let t1 = ContinuousClock.now
            guard signed.verify(signature, parameters: parameters, with: credentials.modelSigningKey.verifyingKey) else {
                throw BenchmarkError("bench transport: a model signed in this process did not verify")
            }
            verifying.append(elapsed(since: t1))
        }
        return Result(model: "mlp on \(data.featureShape.reduce(1, *)) features", parameters: parameters.count,
                      bytes: 4 * parameters.count, repeats: repeats, wall: RoundTimings.median(wall),
                      compute: RoundTimings.median(compute), signing: RoundTimings.median(signing),
                      verifying: RoundTimings.median(verifying), drops: drops, dropReason: lost.first)
    }

    /// An NPY 1.0 header for a C-order array (NEP 1), padded so the data starts at a multiple of 64.
    public static func npyHeader(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dictionary = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = 10 + dictionary.utf8.count + 1
        dictionary += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = dictionary.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(dictionary.utf8)
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        start.duration(to: .now) / .seconds(1)
    }
}

/// Why the connection dropped, told from the transport's threads (the call's own error says only "offline").
private final class DropReasons: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String] = []

    func add(_ reason: String) { lock.withLock { reasons.append(reason) } }
    var first: String? { lock.withLock { reasons.first } }
}
