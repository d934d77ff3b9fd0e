import ArgumentParser
import Datasets
import Federation
import Foundation
import RunConfiguration
import TensorCore
import Transport

/// `fedtop bench transport`: what remote hospitals cost, over loopback with mutual TLS 1.3 and
/// certificates made as `fedtop certs init` makes them (in a temporary folder, removed at the end).
///
/// - Rounds: the same federation twice — 3 local hospitals, then 3 `fedtop hospital` child
///   processes — on `lesions:IMAGES` with `lesioncnn`, sample-level DP-SGD, the same seed, shards,
///   σ and settings. The remote hospitals hold exactly the local ones' records (`--shard i/3` splits
///   as `--hospitals 3` does; each standardises its own). Medians over rounds 2… of the round period
///   (from engine events, ``RoundTimings``). The local run gets `FEDTOP_WORKERS=3` by default so its
///   three hospitals train at once, as three processes do; otherwise two would train and one wait.
/// - Bytes per round: what ``RemoteHospital`` moves for each hospital — the model down and the
///   update up (Train), the new model down again (Evaluate) — as Float32 payload; headers, HTTP/2
///   and TLS framing are not counted. Their time is bytes ÷ the measured transfer rate, as if sent
///   one after another. Bound (issue 6): remote − local − that time ≤ 20 ms per round.
/// - Transfer rate: ``ModelTransferRate`` (a ~12.6 MB model through Evaluate). Bound ≥ 300 MB/s.
///
/// Every child process (hospitals, the two runs) is stopped when the command ends, fails, or is
/// interrupted (``BenchChildren``). Errors name the step and the child that failed.
struct BenchTransport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Remote hospitals over loopback with mutual TLS: time added per round (3 hospitals, lesions CNN) and model transfer rate.")

    @Option(help: "Rounds of each federation (local and remote).") var rounds = 20
    @Option(help: "Images of lesions:COUNT shared among the 3 hospitals (80 % for training).") var images = 600
    @Option(help: "Expected DP-SGD batch size.") var batchSize = 32
    @Option(help: "ε budget of every hospital (σ is calibrated to it over the rounds).") var epsilon = 8.0
    @Option(help: "Seed of the split, model and selection.") var seed: UInt64 = 1
    @Option(help: "FEDTOP_WORKERS of the local run: cores its hospitals train on at once (3: all, as 3 processes do).")
    var localWorkers = 3
    @Option(help: "Features per record of the transfer dataset (the mlp has about 64 parameters per feature).")
    var transferFeatures = 49_152
    @Option(help: "Timed Evaluate calls of the transfer measurement (after 3 warm-up calls).") var transferRepeats = 20
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: .hidden) var scenario: String?
    @Option(help: .hidden) var hospitalAddress: [String] = []
    @Option(help: .hidden) var consoleCerts: String?
    @Option(help: .hidden) var scratch: String?

    static let hospitalNames = ["hospital-1", "hospital-2", "hospital-3"]
    static let addedBoundMilliseconds = 20.0
    static let rateBoundMegabytesPerSecond = 300.0
    static let transferRecords = 20
    static let warmup = 3

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3, got \(rounds)") }
        guard (30...1_000_000).contains(images) else { throw ValidationError("--images must be from 30 to 1000000, got \(images)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard epsilon > 0, epsilon.isFinite else { throw ValidationError("--epsilon must be positive, got \(epsilon)") }
        guard localWorkers > 0 else { throw ValidationError("--local-workers must be positive, got \(localWorkers)") }
        // 64 hidden units: the hospital's default limit is 4 M parameters.
        guard (256...60_000).contains(transferFeatures) else {
            throw ValidationError("--transfer-features must be from 256 to 60000, got \(transferFeatures)")
        }
        guard transferRepeats >= 3 else { throw ValidationError("--transfer-repeats must be at least 3, got \(transferRepeats)") }
    }

    func run() throws {
        if let scenario { return try runScenario(scenario) }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedtop-bench-transport-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())").path
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw RunError("bench transport: cannot create the scratch folder \(folder): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let children = BenchChildren(scratch: folder)
        defer { children.stopAll() }   // runs before the folder is removed

        if !json { print("fedtop bench transport: loopback, mutual TLS 1.3, certificates from `fedtop certs init` in \(folder)") }
        let certs = folder + "/certs"
        do {
            _ = try FederationCertificates.provision(into: certs, hospitals: Self.hospitalNames + ["transfer"], validityDays: 1)
        } catch { throw RunError("bench transport: provisioning the certificates in \(certs) failed: \(error)") }

        let dataset = "lesions:\(images)"
        let lesions = try DatasetSource.load(dataset)
        let parameters = try ModelZoo.make("lesioncnn", inputShape: lesions.featureShape, classes: lesions.classNames.count,
                                           seed: seed).parameterCount

        let local = try scenarioChild("local", children: children, folder: folder,
                                      environment: ["FEDTOP_WORKERS": String(localWorkers)])
        var hospitals: [HospitalChild] = []
        for (i, name) in Self.hospitalNames.enumerated() {
            hospitals.append(try HospitalChild.start(in: folder, children: children, name: name, arguments: [
                "--listen", "127.0.0.1:0", "--certs", certs + "/" + name, "--dataset", dataset,
                "--shard", "\(i + 1)/\(Self.hospitalNames.count)", "--seed", String(seed), "--epsilon-budget", String(epsilon),
                "--ledger", folder + "/ledger-" + name, "--rate-limit", "1000"]))
        }
        let remote: [String: Double]
        do {
            remote = try scenarioChild("remote", children: children, folder: folder,
                                       extra: hospitals.flatMap { ["--hospital-address", $0.endpoint] }
                                           + ["--console-certs", certs + "/console"])
        } catch {
            throw RunError("\(error)" + hospitals.map { "\n  \($0.name)" + HospitalChild.tail($0.stderrPath) }.joined())
        }
        for h in hospitals { children.stop(h.process) }
        for (name, run) in [("local", local), ("remote", remote)] where (run["minAggregated"] ?? 0) < Double(Self.hospitalNames.count) {
            throw RunError("bench transport: a round of the \(name) run aggregated \(Int(run["minAggregated"] ?? 0)) updates, not "
                           + "\(Self.hospitalNames.count): a hospital missed it, so the two runs are not the same work")
        }
        guard abs((local["sigma"] ?? .nan) - (remote["sigma"] ?? .nan)) <= 1e-9 * max(1, local["sigma"] ?? 1) else {
            throw RunError("bench transport: the two runs trained with different noise (σ \(local["sigma"] ?? .nan) local, "
                           + "\(remote["sigma"] ?? .nan) remote); their rounds are not the same work")
        }

        let transferSpec = try ModelTransferRate.writeDataset(folder: folder, features: transferFeatures,
                                                              records: Self.transferRecords, seed: seed)
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
                                                     repeats: transferRepeats, warmup: Self.warmup)
        } catch { throw RunError("\(error)" + HospitalChild.tail(transferHospital.stderrPath)) }
        children.stop(transferHospital.process)

        let report = Report(hospitals: Self.hospitalNames.count, parameters: parameters, local: local, remote: remote,
                            transfer: transfer)
        if json { try printJSON(report) } else { printTable(report, dataset: dataset, featureShape: lesions.featureShape) }
    }

    // MARK: - The two runs

    /// Runs this command again as a child for one federation; returns the numbers it printed.
    private func scenarioChild(_ name: String, children: BenchChildren, folder: String, environment: [String: String] = [:],
                               extra: [String] = []) throws -> [String: Double] {
        let output = Pipe()
        let process = try children.start("the \(name) run", arguments: [
            "bench", "transport", "--scenario", name, "--rounds", String(rounds), "--images", String(images),
            "--batch-size", String(batchSize), "--epsilon", String(epsilon), "--seed", String(seed), "--scratch", folder] + extra,
            environment: environment, stdout: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        children.stop(process)
        guard process.terminationStatus == 0, let numbers = try? BenchRounds.decoder.decode([String: Double].self, from: data) else {
            throw RunError("bench transport: the \(name) run failed (exit status \(process.terminationStatus); its error is above)")
        }
        return numbers
    }

    /// One federation, in this process: prints its round timings, σ and the fewest updates a round
    /// aggregated, as one JSON object.
    private func runScenario(_ name: String) throws {
        let base = scratch ?? FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-transport-\(getpid())").path
        var options = RunOptions()
        options[.out] = .string(base + "/run-\(name)")
        defer { try? FileManager.default.removeItem(atPath: base + "/run-\(name)") }
        options[.seed] = .seed(seed)
        options[.dataset] = .string("lesions:\(images)")
        options[.model] = .string("lesioncnn")
        options[.rounds] = .integer(rounds)
        options[.batchSize] = .integer(batchSize)
        options[.dp] = .string("sample")
        options[.epsilon] = .number(epsilon)
        switch name {
        case "local":
            options[.hospitals] = .integer(Self.hospitalNames.count)
        case "remote":
            guard hospitalAddress.count == Self.hospitalNames.count, let consoleCerts else {
                throw ValidationError("the remote scenario needs \(Self.hospitalNames.count) --hospital-address and --console-certs")
            }
            options[.hospital] = .strings(hospitalAddress)
            options[.certs] = .string(consoleCerts)
        default:
            throw ValidationError("unknown scenario '\(name)'")
        }
        let setup = try FederationSetup(options: RunPlan(options: options))
        defer { setup.keys.discard() }
        let subscription = setup.engine.bus.subscribe(capacity: 1 << 20)
        setup.engine.start()
        let outcome = setup.engine.wait()
        _ = setup.recorder.finish()
        for remote in setup.remoteHospitals { remote.close() }
        guard outcome == .finished else { throw RunError("bench transport: the \(name) run ended \(outcome.rawValue)") }
        let events = subscription.drain()
        var result = RoundTimings.measure(events)
        let summaries = events.compactMap { e -> RoundSummary? in
            if case .roundCompleted(let s) = e.kind { return s } else { return nil }
        }
        result["sigma"] = summaries.last?.noiseMultiplier ?? .nan
        result["minAggregated"] = Double(summaries.map(\.aggregated).min() ?? 0)
        FileHandle.standardOutput.write(try BenchRounds.encoder.encode(result))
    }
}

// MARK: - Results

extension BenchTransport {
    /// The numbers of one benchmark, derived as the type's doc comment says (times in seconds).
    struct Report {
        var hospitals: Int
        var parameters: Int
        var local: [String: Double]
        var remote: [String: Double]
        var transfer: ModelTransferRate.Result

        var localPeriod: Double { local["period"] ?? .nan }
        var remotePeriod: Double { remote["period"] ?? .nan }
        var difference: Double { remotePeriod - localPeriod }
        /// Train (model down, update up) and Evaluate (model down) for each hospital.
        var bytesPerRound: Int { hospitals * 3 * 4 * parameters }
        var transferPerRound: Double { Double(bytesPerRound) / (transfer.megabytesPerSecond * 1e6) }
        var addedBeyondBytes: Double { difference - transferPerRound }
        /// The same at the bound's rate (300 MB/s): what the round would add if the transfer met its bound.
        var transferPerRoundAtBound: Double { Double(bytesPerRound) / (BenchTransport.rateBoundMegabytesPerSecond * 1e6) }
        var addedBeyondBytesAtBound: Double { difference - transferPerRoundAtBound }
    }

    private func printJSON(_ r: Report) throws {
        func ms(_ s: Double) -> Double { (s * 1e5).rounded() / 100 }
        let object: [String: Any] = [
            "rounds": rounds, "images": images, "batch_size": batchSize, "hospitals": r.hospitals, "model": "lesioncnn",
            "parameters": r.parameters, "sigma": r.local["sigma"] ?? 0, "local_workers": localWorkers,
            "local_round_ms": ms(r.localPeriod), "remote_round_ms": ms(r.remotePeriod), "difference_ms": ms(r.difference),
            "local_training_ms": ms(r.local["training"] ?? .nan), "remote_training_ms": ms(r.remote["training"] ?? .nan),
            "local_evaluation_ms": ms(r.local["evaluation"] ?? .nan), "remote_evaluation_ms": ms(r.remote["evaluation"] ?? .nan),
            "remote_min_aggregated": Int(r.remote["minAggregated"] ?? 0),
            "bytes_per_round": r.bytesPerRound, "transfer_ms_per_round": ms(r.transferPerRound),
            "added_beyond_bytes_ms": ms(r.addedBeyondBytes), "bound_added_ms": Self.addedBoundMilliseconds,
            "transfer_ms_per_round_at_bound_rate": ms(r.transferPerRoundAtBound),
            "added_beyond_bytes_at_bound_rate_ms": ms(r.addedBeyondBytesAtBound),
            "transfer_model": r.transfer.model, "transfer_parameters": r.transfer.parameters, "transfer_bytes": r.transfer.bytes,
            "transfer_repeats": r.transfer.repeats, "transfer_wall_ms": ms(r.transfer.wall),
            "transfer_compute_ms": ms(r.transfer.compute), "signing_ms": ms(r.transfer.signing), "verifying_ms": ms(r.transfer.verifying),
            "transfer_mb_per_s": (r.transfer.megabytesPerSecond * 10).rounded() / 10,
            "transfer_connection_drops": r.transfer.drops,
            "bound_mb_per_s": Self.rateBoundMegabytesPerSecond,
        ]
        // NaN has no JSON form: a failed median is a failure, not a number.
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw RunError("bench transport: a measurement is not a number: \(object)")
        }
        print(String(decoding: data, as: UTF8.self))
    }

    private func printTable(_ r: Report, dataset: String, featureShape: [Int]) {
        func ms(_ s: Double?) -> String { s.map { String(format: "%.2f ms", $0 * 1000) } ?? "—" }
        func row(_ label: String, _ a: Double?, _ b: Double?) {
            let d = (a != nil && b != nil) ? ms(b! - a!) : "—"
            print(pad(label, 34) + pad(ms(a), 12, right: true) + pad(ms(b), 12, right: true) + pad(d, 12, right: true))
        }
        let shape = featureShape.map(String.init).joined(separator: "×")
        print("\nRounds: \(r.hospitals) hospitals, \(dataset) (\(shape)), lesioncnn (\(r.parameters) parameters), DP-SGD σ "
              + String(format: "%.3f", r.local["sigma"] ?? .nan) + ", batch \(batchSize), \(rounds) rounds; medians over rounds 2…")
        print("local: one process, FEDTOP_WORKERS=\(localWorkers); remote: 3 `fedtop hospital` processes, grpcs:// on 127.0.0.1")
        print(pad("", 34) + pad("local", 12, right: true) + pad("remote", 12, right: true) + pad("difference", 12, right: true))
        row("round period", r.local["period"], r.remote["period"])
        row("  hospital training (wall)", r.local["training"], r.remote["training"])
        row("  evaluation", r.local["evaluation"], r.remote["evaluation"])
        func rest(_ t: [String: Double]) -> Double? { t["other"].flatMap { o in t["aggregation"].map { o + $0 } } }
        row("  aggregation + other engine work", rest(r.local), rest(r.remote))
        print(pad("bytes per round", 34) + String(format: "%.3f MB", Double(r.bytesPerRound) / 1e6)
              + "  (\(r.hospitals) × (model down + update up + model down to evaluate), Float32)")
        print(pad("  their time at the measured rate", 34) + ms(r.transferPerRound))

        let t = r.transfer
        print("\nModel transfer: \(t.model) (\(t.parameters) parameters, "
              + String(format: "%.2f MB", Double(t.bytes) / 1e6) + "), console → hospital through Evaluate, "
              + "\(t.repeats) calls after \(Self.warmup) warm-up")
        print(pad("Evaluate call (console's wall)", 34) + ms(t.wall))
        print(pad("  hospital's own evaluation", 34) + ms(t.compute) + "  (a local hospital on the same records)")
        print(pad("  of the wall: signing, verifying", 34) + ms(t.signing) + ", " + ms(t.verifying) + "  (timed alone)")
        if t.drops > 0 {
            print(pad("  connection reported lost", 34) + "\(t.drops) time(s), reattached; those calls not timed"
                  + (t.dropReason.map { " (\($0))" } ?? ""))
        }
        print(pad("transfer rate", 34) + String(format: "%.0f MB/s", t.megabytesPerSecond) + "  (10⁶ bytes ÷ (wall − evaluation))")

        print("")
        func verdict(_ seconds: Double) -> String { seconds * 1000 <= Self.addedBoundMilliseconds ? "met" : "not met" }
        print(String(format: "added per round beyond moving the bytes: %.2f ms (remote − local %.2f ms − bytes at %.0f MB/s %.2f ms); "
                     + "bound ≤ %.0f ms: %@", r.addedBeyondBytes * 1000, r.difference * 1000, t.megabytesPerSecond,
                     r.transferPerRound * 1000, Self.addedBoundMilliseconds, verdict(r.addedBeyondBytes)))
        print(String(format: "  at the %.0f MB/s bound the bytes would take %.2f ms, leaving %.2f ms: %@", Self.rateBoundMegabytesPerSecond,
                     r.transferPerRoundAtBound * 1000, r.addedBeyondBytesAtBound * 1000, verdict(r.addedBeyondBytesAtBound)))
        if r.addedBeyondBytes < 0 {
            print("  (below zero: the bytes' time counts the hospitals' transfers one after another, but they overlap)")
        }
        print(String(format: "model transfer: %.0f MB/s; bound ≥ %.0f MB/s: %@", t.megabytesPerSecond, Self.rateBoundMegabytesPerSecond,
                     t.megabytesPerSecond >= Self.rateBoundMegabytesPerSecond ? "met" : "not met"))
    }
}
