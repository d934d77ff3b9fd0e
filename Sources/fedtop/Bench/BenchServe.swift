import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench serve`: `fedtop serve` under load beside the same model served by Python (FastAPI +
/// uvicorn, numpy) — requests a second, p50 and p99 latency, and the throughput ratio (bound: ≥ 5× at
/// a lower p99) for the lesion CNN and the WDBC MLP (``ServeBenchmark``).
struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "fedtop serve vs FastAPI + uvicorn on the same model: requests/s and p50/p99 over loopback keep-alive connections.")

    @Option(help: "A Python interpreter with fastapi, uvicorn and numpy: serve the same model with it and compare (without it, fedtop alone).")
    var python: String?
    @Option(help: "The load generator: wrk's path (default: wrk on PATH), or 'builtin' for fedtop's own (AsyncHTTPClient; it costs the shared cores more).")
    var wrk: String?
    @Option(help: "Concurrent keep-alive connections of the load generator.") var connections = 16
    @Option(help: "Seconds each server is measured (after 2 s of warm-up).") var seconds = 10.0
    @Option(help: "Records in each request.") var batch = 1
    @Option(help: "Seed of the weights and the records.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard (1...1_024).contains(connections) else { throw ValidationError("--connections must be from 1 to 1024, got \(connections)") }
        guard seconds >= 1, seconds <= 3_600 else { throw ValidationError("--seconds must be from 1 to 3600, got \(seconds)") }
        guard (1...64).contains(batch) else { throw ValidationError("--batch must be from 1 to 64 (the Python reference's cap), got \(batch)") }
        if let wrk, wrk != "builtin", !FileManager.default.isExecutableFile(atPath: wrk) {
            throw ValidationError("--wrk \(wrk): no executable there (apt-get install wrk, or --wrk builtin)")
        }
        if let python, !FileManager.default.isExecutableFile(atPath: python) {
            throw ValidationError("--python \(python): no executable there (give a Python interpreter with fastapi, uvicorn and numpy)")
        }
    }

    /// wrk's path, or nil for the built-in generator.
    var generator: String? { wrk == "builtin" ? nil : (wrk ?? WrkLoad.find()) }

    func run() throws {
        let bench = ServeBenchmark(executable: Bench.executable, python: python, wrk: generator, connections: connections, seconds: seconds,
                                   batch: batch, seed: seed)
        let quiet = json
        let rows = try bench.measure { if !quiet { FileHandle.standardError.write(Data("  … \($0)\n".utf8)) } }
        if json { return try printJSON(rows) }
        print("fedtop bench serve: loopback HTTP/1.1, \(generator.map { "wrk (\($0), 1 thread)" } ?? "the built-in load generator"), "
              + "\(connections) keep-alive connections, \(Int(seconds)) s per server after 2 s of warm-up, "
              + "\(batch) record\(batch == 1 ? "" : "s") a request; \(ProcessInfo.processInfo.activeProcessorCount) cores shared by servers and load generator")
        print(pad("model", 12) + pad("params", 9, right: true) + pad("fedtop req/s", 14, right: true) + pad("p50 ms", 8, right: true)
              + pad("p99 ms", 8, right: true) + pad("Python req/s", 14, right: true) + pad("p50 ms", 8, right: true) + pad("p99 ms", 8, right: true)
              + pad("ratio", 8, right: true))
        for r in rows {
            var line = pad(r.model, 12) + pad("\(r.parameters)", 9, right: true) + pad(String(format: "%.0f", r.fedtop.requestsPerSecond), 14, right: true)
                + pad(String(format: "%.2f", r.fedtop.p50Milliseconds), 8, right: true) + pad(String(format: "%.2f", r.fedtop.p99Milliseconds), 8, right: true)
            if let p = r.python, let ratio = r.throughputRatio {
                line += pad(String(format: "%.0f", p.requestsPerSecond), 14, right: true) + pad(String(format: "%.2f", p.p50Milliseconds), 8, right: true)
                    + pad(String(format: "%.2f", p.p99Milliseconds), 8, right: true) + pad(String(format: "%.1f×", ratio), 8, right: true)
            } else {
                line += pad("—", 14, right: true) + pad("", 16) + pad("", 8)
            }
            print(line)
        }
        for r in rows {
            guard let p = r.python, let ratio = r.throughputRatio else { continue }
            let met = ratio >= ServeBenchmark.throughputBound && r.fedtop.p99Milliseconds < p.p99Milliseconds
            print(String(format: "%@: %.1f× the Python reference's requests/s (bound ≥ %.0f×), p99 %.2f vs %.2f ms (bound: lower); %@; "
                         + "same model: probabilities agree to %.1e", r.model, ratio, ServeBenchmark.throughputBound, r.fedtop.p99Milliseconds,
                         p.p99Milliseconds, met ? "met" : "not met", r.probabilityDifference ?? .nan))
        }
        for r in rows {
            func cpu(_ x: ServeLoad.Result?) -> String { x?.serverMicrosecondsPerRequest.map { String(format: "%.0f µs", $0) } ?? "—" }
            print("\(r.model): server CPU per request: fedtop \(cpu(r.fedtop)), Python \(cpu(r.python))")
        }
        if python == nil { print("(no --python: the FastAPI + uvicorn reference was not run; see the README for its venv)") }
    }

    private func printJSON(_ rows: [ServeBenchmark.Row]) throws {
        func side(_ r: ServeLoad.Result) -> [String: Any] {
            ["requests_per_s": (r.requestsPerSecond * 10).rounded() / 10, "p50_ms": (r.p50Milliseconds * 1000).rounded() / 1000,
             "p99_ms": (r.p99Milliseconds * 1000).rounded() / 1000, "requests": r.requests, "failures": r.failures,
             "server_cpu_us_per_request": r.serverMicrosecondsPerRequest.map { ($0 * 10).rounded() / 10 } ?? NSNull()]
        }
        let object: [String: Any] = [
            "generator": generator ?? "builtin", "connections": connections, "seconds": seconds, "batch": batch, "seed": seed, "bound_ratio": ServeBenchmark.throughputBound,
            "models": rows.map { r -> [String: Any] in
                var o: [String: Any] = ["model": r.model, "parameters": r.parameters, "features": r.features, "fedtop": side(r.fedtop)]
                if let p = r.python { o["python"] = side(p) }
                if let ratio = r.throughputRatio { o["ratio"] = (ratio * 100).rounded() / 100 }
                if let d = r.probabilityDifference { o["probability_difference"] = d }
                return o
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
