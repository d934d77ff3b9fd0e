import ArgumentParser
import Federation
import Foundation
import RunConfiguration
import Privacy
import SecureAggregation

/// `fedtop bench secagg`: what secure aggregation costs.
///
/// - Rounds: the same federation (local `lesions` hospitals, the lesion CNN of 105,959 parameters,
///   sample-level DP-SGD, every hospital every round) run plain and with `--secure-aggregation`, side by
///   side in one run: 10 hospitals (bound: a secure round ≤ 1.5× the plain one) and 100 hospitals
///   (SecAgg+; bound ≤ 3×). Medians over rounds 2…, each federation in a child process of its own.
/// - Protocol: one session of the bare protocol at 100,000 parameters for n = 10 … 200 hospitals, one
///   thread: each phase's time per hospital and at the aggregator, and the bytes each hospital sends and
///   receives — the scaling with n (complete graph below 64, SecAgg+ Harary graph from 64).
struct BenchSecAgg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secagg",
        abstract: "Secure vs plain rounds (10 and 100 hospitals, 105,959 parameters) and the protocol's per-phase cost and bytes by n.")

    @Option(help: "Rounds of each federation.") var rounds = 6
    @Option(help: "Training records per hospital (lesions images, before the 20 % test split).") var recordsPerHospital = 40
    @Option(help: "Hospitals of the large federation.") var largeFederation = 100
    @Option(help: "Federation sizes of the protocol scaling table (comma-separated).") var sizes = "10,25,50,100,200"
    @Option(help: "Parameters of the protocol scaling table.") var parameters = 100_000
    @Option(help: .hidden) var scenario: String?

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3") }
        guard recordsPerHospital >= 8, largeFederation >= 10, parameters >= 1 else {
            throw ValidationError("--records-per-hospital must be at least 8, --large-federation at least 10, --parameters at least 1")
        }
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 3 }) else {
            throw ValidationError("--sizes takes comma-separated federation sizes of at least 3, got '\(sizes)'")
        }
    }

    var parsedSizes: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        if let scenario { return try runScenario(scenario) }
        print("fedtop bench secagg: lesions CNN (105,959 parameters), sample-level DP-SGD, every hospital every round, "
              + "\(recordsPerHospital) records per hospital; medians over rounds 2…\(rounds)")
        print(pad("federation", 24) + pad("plain round", 14, right: true) + pad("secure round", 14, right: true)
              + pad("ratio", 9, right: true) + pad("bound", 8, right: true) + "  secure phases (keys+training | shares | masked | unmask)")
        for (n, bound) in [(10, 1.5), (largeFederation, 3.0)] {
            let plain = try child("plain-\(n)"), secure = try child("secure-\(n)")
            let ratio = (secure["period"] ?? .nan) / (plain["period"] ?? .nan)
            let phases = ["advertise", "share", "masked", "unmask"].map { ms(secure[$0]) }.joined(separator: " | ")
            print(pad("\(n) hospitals", 24) + pad(ms(plain["period"]), 14, right: true) + pad(ms(secure["period"]), 14, right: true)
                  + pad(String(format: "%.2f×", ratio), 9, right: true) + pad(String(format: "≤ %.1f×", bound), 8, right: true)
                  + "  " + phases)
        }
        print("\nProtocol alone, \(parameters) parameters, one thread (per hospital = the mean over hospitals; bytes per hospital sent / received)")
        print(pad("n", 6) + pad("graph", 16) + pad("t", 5, right: true) + pad("keys", 10, right: true) + pad("shares", 10, right: true)
              + pad("masked", 10, right: true) + pad("unmask", 10, right: true) + pad("aggregator", 12, right: true)
              + pad("sent", 12, right: true) + pad("received", 12, right: true))
        for n in parsedSizes {
            let r = try ProtocolCost.measure(hospitals: n, parameters: parameters)
            print(pad("\(n)", 6) + pad(r.graph, 16) + pad("\(r.threshold)", 5, right: true)
                  + r.perHospital.map { pad(ms($0), 10, right: true) }.joined()
                  + pad(ms(r.aggregator), 12, right: true) + pad(bytes(r.sent), 12, right: true) + pad(bytes(r.received), 12, right: true))
        }
    }

    private func ms(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "—" }
        return String(format: "%.1f ms", seconds * 1000)
    }

    private func bytes(_ b: Double) -> String {
        b >= 1_048_576 ? String(format: "%.2f MiB", b / 1_048_576) : String(format: "%.1f KiB", b / 1024)
    }

    private func child(_ name: String) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "secagg", "--scenario", name, "--rounds", String(rounds),
                             "--records-per-hospital", String(recordsPerHospital), "--large-federation", String(largeFederation)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let numbers = try? BenchRounds.decoder.decode([String: Double].self, from: data) else {
            throw RunError("bench secagg: scenario \(name) failed (exit status \(process.terminationStatus))")
        }
        return numbers
    }

    /// One federation, in this process: its round timings as one JSON object.
    private func runScenario(_ name: String) throws {
        let parts = name.split(separator: "-")
        guard parts.count == 2, let n = Int(parts[1]), ["plain", "secure"].contains(parts[0]) else {
            throw ValidationError("unknown scenario '\(name)'")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-secagg-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = RunOptions()
        options[.out] = .string(scratch + "/run")
        options[.seed] = .seed(1)
        options[.dataset] = .string("lesions:\(n * recordsPerHospital)")
        options[.hospitals] = .integer(n)
        options[.perRound] = .integer(n)
        options[.rounds] = .integer(rounds)
        options[.batchSize] = .integer(max(4, recordsPerHospital / 4))
        options[.dp] = .string("sample")
        options[.epsilon] = .number(8)
        options[.secureAggregation] = .boolean(parts[0] == "secure")
        let setup = try FederationSetup(options: RunPlan(options: options))
        defer { setup.keys.discard() }
        let subscription = setup.engine.bus.subscribe(capacity: 1 << 20)
        setup.engine.start()
        let outcome = setup.engine.wait()
        _ = setup.recorder.finish()
        guard outcome == .finished else { throw RunError("bench secagg: the \(name) run ended \(outcome.rawValue)") }
        let events = subscription.drain()
        var result = RoundTimings.measure(events)
        for (k, v) in SecurePhaseTimings.measure(events) { result[k] = v }
        FileHandle.standardOutput.write(try BenchRounds.encoder.encode(result))
    }
}

/// Median time of each secure-aggregation phase over rounds 2…, from the engine's events: from one
/// phase's status event to the next (key advertisement includes local training).
enum SecurePhaseTimings {
    static func measure(_ events: [EngineEvent]) -> [String: Double] {
        var times: [String: [Double]] = [:]
        var last: (stage: SecureAggregationStatus.Stage, time: Double)?
        for e in events where e.round >= 2 {
            guard case .secureAggregation(let s) = e.kind else { continue }
            if let last { times[last.stage.rawValue, default: []].append(e.time - last.time) }
            last = s.stage == .done || s.stage == .aborted ? nil : (s.stage, e.time)
        }
        return times.mapValues(RoundTimings.median)
    }
}

/// One session of the bare protocol, timed phase by phase, with every message's size.
enum ProtocolCost {
    struct Result {
        var graph: String
        var threshold: Int
        /// Mean seconds per hospital: keys, shares, masked input, unmasking.
        var perHospital: [Double]
        var aggregator: Double
        var sent: Double
        var received: Double
    }

    static func measure(hospitals n: Int, parameters d: Int) throws -> Result {
        let graph = CommunicationGraph.forFederation(n)
        let p = try SecAggParameters(runID: "bench", round: 1, graph: graph, threshold: SecAggParameters.defaultThreshold(for: graph),
                                     vectorLength: d + 1)
        var generator = ChaCha20Generator(seed: 1)
        let input = (0...d).map { _ in UInt32.random(in: 0...65_535, using: &generator) }
        var server = SecAggServer(parameters: p)
        var clientTime = [Double](repeating: 0, count: 4), serverTime = 0.0
        var sent = 0.0, received = 0.0
        let clock = ContinuousClock()
        func timed<T>(_ slot: Int?, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            let r = try body()
            let s = (clock.now - start) / .seconds(1)
            if let slot { clientTime[slot] += s } else { serverTime += s }
            return r
        }
        // Key generation (two X25519 pairs and the self-mask seed) counts as key advertisement.
        var clients: [SecAggClient] = []
        var keys: [AdvertisedKeys] = []
        for id in p.participants {
            try timed(0) {
                var c = try SecAggClient(parameters: p, participant: id, input: input, generator: ChaCha20Generator(seed: UInt64(id)))
                keys.append(try c.advertise())
                clients.append(c)
            }
        }
        sent += Double(keys.count * 68)
        let roster = try timed(nil) { try server.closeAdvertisement(keys) }
        received += Double(n * roster.count * 68)
        var shares: [UInt32: [EncryptedShare]] = [:]
        for i in clients.indices {
            let s = try timed(1) { try clients[i].shareKeys(roster: roster) }
            sent += Double(s.reduce(0) { $0 + $1.ciphertext.count + 8 })
            shares[clients[i].participant] = s
        }
        let routed = try timed(nil) { try server.closeSharing(shares) }
        var masked: [MaskedInput] = []
        for i in clients.indices {
            let mine = routed[clients[i].participant] ?? []
            received += Double(mine.reduce(0) { $0 + $1.ciphertext.count + 8 })
            masked.append(try timed(2) { try clients[i].maskedInput(shares: mine) })
            sent += Double(4 * (d + 1) + 4)
        }
        let request = try timed(nil) { try server.closeMasking(masked) }
        var responses: [UnmaskingResponse] = []
        for i in clients.indices {
            received += Double(4 * (request.survivors.count + request.dropped.count))
            let r = try timed(3) { try clients[i].unmask(request) }
            sent += Double((r.selfMaskShares.count + r.maskKeyShares.count) * (8 + 8 * 5))
            responses.append(r)
        }
        _ = try timed(nil) { try server.finish(responses) }
        return Result(graph: graph.isComplete ? "complete" : "Harary k=\(graph.degree)", threshold: p.threshold,
                      perHospital: clientTime.map { $0 / Double(n) }, aggregator: serverTime,
                      sent: sent / Double(n), received: received / Double(n))
    }
}
