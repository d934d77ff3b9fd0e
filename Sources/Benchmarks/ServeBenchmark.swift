import Datasets
import Federation
import Foundation
import Transport
import Serving
import TensorCore

/// `fedtop bench serve`: requests a second and latency of `fedtop serve` against the same model served
/// by Python (FastAPI + uvicorn, numpy forward pass: ``PythonServeReference``), measured in one run
/// on one machine by one load generator (``ServeLoad``).
///
/// Contract: for each model (the lesion CNN, 3×28×28 → 7 classes; the WDBC MLP, 30 → 64 → 2) a signed
/// checkpoint and an API key are made in a private scratch folder, `fedtop serve run --insecure` is
/// started as a child process on a loopback port the system picks, and the reference on another; both
/// are first asked the same batch and their probabilities compared (they must agree to 1e-4, or the
/// bench stops: it would not be the same model), then each is driven in turn with the same request
/// bytes by `connections` keep-alive clients. Weights are freshly initialised (seeded): a request costs
/// the same whatever they are. Records are seeded standard-normal values clipped to ±3 (they pass
/// the server's validation, as real standardised records do). Every child is stopped and the scratch
/// folder removed when the bench ends, fails or is interrupted.
public struct ServeBenchmark: Sendable {
    /// One model's figures.
    public struct Row: Sendable {
        public var model: String
        public var parameters: Int
        public var features: Int
        public var fedtop: ServeLoad.Result
        public var python: ServeLoad.Result?
        /// Largest |difference| between the two servers' probabilities on the check batch.
        public var probabilityDifference: Double?
        /// fedtop's requests a second over Python's.
        public var throughputRatio: Double? { python.map { $0.requestsPerSecond > 0 ? fedtop.requestsPerSecond / $0.requestsPerSecond : .infinity } }
    }

    public struct Case: Sendable {
        public let name: String
        public let model: Sequential
        public let classNames: [String]
    }

    /// Bound of issue 20: at least 5× the Python reference's throughput, at a lower p99.
    public static let throughputBound = 5.0

    public let executable: URL
    public let python: String?
    /// `wrk`'s path: the load generator when given, else the built-in one (``ServeLoad``).
    public let wrk: String?
    public let connections: Int
    public let seconds: Double
    public let batch: Int
    public let seed: UInt64

    public init(executable: URL, python: String?, wrk: String?, connections: Int, seconds: Double, batch: Int, seed: UInt64) {
        self.executable = executable
        self.python = python
        self.wrk = wrk
        self.connections = connections
        self.seconds = seconds
        self.batch = batch
        self.seed = seed
    }

    public static func cases(seed: UInt64) throws -> [Case] {
        [
            Case(name: "lesion CNN", model: try ModelZoo.lesionCNN(inputShape: [3, 28, 28], classes: 7, seed: seed),
                 classNames: LesionGenerator.classNames),
            Case(name: "WDBC MLP", model: try ModelZoo.mlp(inputShape: [30], hidden: 64, classes: 2, seed: seed),
                 classNames: ["malignant", "benign"]),
        ]
    }

    /// Runs every case; `progress` hears what is being measured.
    public func measure(progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> [Row] {
        let scratch = try PythonServeReference.makePrivateFolder(who: "bench serve", prefix: "fedtop-bench-serve")
        let children = BenchChildren(executable: executable, scratch: scratch)
        defer {
            children.stopAll()
            try? FileManager.default.removeItem(atPath: scratch)
        }
        var rows: [Row] = []
        for (index, c) in try Self.cases(seed: seed).enumerated() {
            rows.append(try measure(c, folder: scratch + "/\(index)", children: children, progress: progress))
        }
        return rows
    }

    private func measure(_ c: Case, folder: String, children: BenchChildren, progress: @escaping @Sendable (String) -> Void) throws -> Row {
        let features = c.model.inputShape.reduce(1, *)
        let (run, state, token) = try prepare(c, folder: folder)
        let body = Self.body(records: Self.records(count: batch, features: features, seed: seed))
        let check = Self.body(records: Self.records(count: 8, features: features, seed: seed &+ 1))

        progress("\(c.name): starting fedtop serve")
        let outPath = folder + "/serve.out", errPath = folder + "/serve.err"
        guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw BenchmarkError("bench serve: cannot create \(outPath) for the server's output")
        }
        defer { try? out.close(); try? err.close() }
        let server = try children.start("fedtop serve", arguments: [
            "serve", "run", run, "--insecure", "--listen", "127.0.0.1:0", "--state", state, "--model-key", run + "/signing.pub",
            "--max-concurrent", String(max(64, connections * 2)), "--max-batch", String(max(64, batch)), "--deadline-ms", "60000",
        ], stdout: out, stderr: err)
        defer { children.stop(server) }
        let port = try children.awaitListening(server, label: "bench serve: fedtop serve", outPath: outPath, errPath: errPath,
                                               prefix: "listening on http://", timeout: 120)
        let fedtopURL = "http://127.0.0.1:\(port)/v1/predict"
        let auth = [("content-type", "application/json"), ("authorization", "Bearer \(token)")]

        var reference: RunningPythonServer?
        defer { reference?.stop() }
        if let python {
            progress("\(c.name): starting the Python reference (FastAPI + uvicorn, \(ProcessInfo.processInfo.activeProcessorCount) workers)")
            reference = try PythonServeReference(python: python).start(model: c.model, classNames: c.classNames, port: try Self.freePort(),
                                                                       workers: ProcessInfo.processInfo.activeProcessorCount)
        }
        let referenceURL = reference.map { "http://127.0.0.1:\($0.port)/v1/predict" }
        let json = [("content-type", "application/json")]

        // Same answers from both, or it is not the same model.
        let fedtopCheck = try Blocking.run { try await ServeLoad(url: fedtopURL, headers: auth, body: check, connections: 1, seconds: 0).once() }
        var difference: Double?
        if let referenceURL {
            let pythonCheck = try Blocking.run { try await ServeLoad(url: referenceURL, headers: json, body: check, connections: 1, seconds: 0).once() }
            let d = try Self.largestDifference(try Self.probabilities(fedtopCheck), try Self.probabilities(pythonCheck))
            guard d <= 1e-4 else {
                throw BenchmarkError("bench serve: fedtop and the Python reference disagree on \(c.name)'s probabilities by \(d); not the same model")
            }
            difference = d
        }
        progress("\(c.name): fedtop serve, \(connections) connections, \(Int(seconds)) s")
        let fedtop = try drive(ServeLoad(url: fedtopURL, headers: auth, body: body, connections: connections, seconds: seconds),
                               server: server.processIdentifier, group: false, folder: folder, children: children)
        var python: ServeLoad.Result?
        if let referenceURL, let reference {
            progress("\(c.name): Python reference, \(connections) connections, \(Int(seconds)) s")
            python = try drive(ServeLoad(url: referenceURL, headers: json, body: body, connections: connections, seconds: seconds),
                               server: reference.processIdentifier, group: true, folder: folder, children: children)
        }
        let row = Row(model: c.name, parameters: c.model.parameterCount, features: features, fedtop: fedtop, python: python,
                      probabilityDifference: difference)
        if row.fedtop.requests == 0 || row.fedtop.failures > 0 {
            throw BenchmarkError("bench serve: fedtop serve failed \(row.fedtop.failures) of \(row.fedtop.failures + row.fedtop.requests) requests "
                                 + "on \(c.name): \(row.fedtop.firstFailure ?? "none answered")" + HospitalChild.tail(errPath))
        }
        if let python = row.python, python.requests == 0 || python.failures > 0 {
            throw BenchmarkError("bench serve: the Python reference failed \(python.failures) of \(python.failures + python.requests) requests "
                                 + "on \(c.name): \(python.firstFailure ?? "none answered")" + (reference?.stderrTail() ?? ""))
        }
        return row
    }

    /// Warm-up and measurement with wrk or the built-in generator, with the server's CPU time over the measurement.
    private func drive(_ load: ServeLoad, server pid: Int32, group: Bool, folder: String, children: BenchChildren) throws -> ServeLoad.Result {
        if let wrk {
            // wrk warms up in its own run; CPU is read around the measured run only.
            let tool = WrkLoad(executable: wrk, children: children)
            var warm = load
            warm.seconds = load.warmUpSeconds
            _ = try tool.measure(warm, folder: folder)
            let before = ProcessCPU.seconds(pid: pid, includingGroup: group)
            var result = try tool.measure(load, folder: folder)
            if let before, let after = ProcessCPU.seconds(pid: pid, includingGroup: group) { result.serverCPUSeconds = after - before }
            return result
        }
        return try Blocking.run {
            var warm = load
            warm.seconds = load.warmUpSeconds
            _ = try await warm.measure()
            let before = ProcessCPU.seconds(pid: pid, includingGroup: group)
            var result = try await load.measure()
            if let before, let after = ProcessCPU.seconds(pid: pid, includingGroup: group) { result.serverCPUSeconds = after - before }
            return result
        }
    }

    /// The run folder (a signed checkpoint with its provenance), the state folder (0700) with one
    /// predict key that no rate limit slows, and the key's token.
    private func prepare(_ c: Case, folder: String) throws -> (run: String, state: String, token: String) {
        let run = folder + "/run", keys = folder + "/keys", state = folder + "/state"
        for d in [run, keys, state] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let signer = try CheckpointSigner.create(keyDirectory: keys, runDirectory: run)
        let provenance = ModelProvenance(run: "bench-serve", dataset: c.name, classNames: c.classNames, featureClip: nil,
                                         privacy: "none", epsilonBudget: nil, delta: 1e-5)
        try CheckpointStore(directory: run, signer: signer, encryptionKey: nil).save(c.model, round: 1, metadata: provenance.metadata)
        var store = try APIKeyStore.open(path: state + "/keys.json")
        let issued = try store.add(name: "bench", scopes: [.predict], recordsPerSecond: 1_000_000, burst: 1_000_000,
                                   privateEpsilon: 0, privateDelta: 1e-6)
        return (run, state, issued.token)
    }

    /// Seeded standard-normal values clipped to ±3, one array a record.
    static func records(count: Int, features: Int, seed: UInt64) -> [[Float]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<features).map { _ in
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                return Float(max(-3, min(3, (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))))
            }
        }
    }

    /// `{"records":[[…],…]}` with each value's shortest exact decimal form.
    static func body(records: [[Float]]) -> [UInt8] {
        Array(("{\"records\":[" + records.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]}").utf8)
    }

    /// Each prediction's probabilities from an answer (`predictions[i].probabilities`).
    static func probabilities(_ answer: [UInt8]) throws -> [[Double]] {
        guard let object = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let predictions = object["predictions"] as? [[String: Any]] else {
            throw BenchmarkError("bench serve: an answer without predictions: \(String(decoding: answer.prefix(200), as: UTF8.self))")
        }
        return try predictions.map {
            guard let p = $0["probabilities"] as? [Double] else { throw BenchmarkError("bench serve: a prediction without probabilities") }
            return p
        }
    }

    static func largestDifference(_ a: [[Double]], _ b: [[Double]]) throws -> Double {
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.count == $1.count }) else {
            throw BenchmarkError("bench serve: the two servers answered different shapes (\(a.map(\.count)) vs \(b.map(\.count)))")
        }
        return zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
    }

    /// A loopback port free now (bound to port 0, read, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("bench serve: cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkError("bench serve: cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
