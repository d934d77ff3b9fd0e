import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench transport`: what remote hospitals cost, over loopback with mutual TLS 1.3
/// (``TransportBenchmark``): the time a round of 3 `fedtop hospital` processes adds to one of 3 local
/// hospitals beyond moving the bytes (bound 20 ms), and the model transfer rate (bound 300 MB/s).
/// Every child process is stopped when the command ends, fails, or is interrupted.
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
        let bench = TransportBenchmark(rounds: rounds, images: images, batchSize: batchSize, epsilon: epsilon, seed: seed,
                                       localWorkers: localWorkers, transferFeatures: transferFeatures, transferRepeats: transferRepeats)
        if let scenario {
            guard let chosen = TransportBenchmark.Scenario(rawValue: scenario) else { throw ValidationError("unknown scenario '\(scenario)'") }
            guard chosen == .local || (hospitalAddress.count == TransportBenchmark.hospitalNames.count && consoleCerts != nil) else {
                throw ValidationError("the remote scenario needs \(TransportBenchmark.hospitalNames.count) --hospital-address and --console-certs")
            }
            let measured = try bench.runScenario(chosen, hospitalAddresses: hospitalAddress, consoleCerts: consoleCerts, scratch: scratch,
                                                 factory: FedtopBenchFederations())
            return FileHandle.standardOutput.write(try measured.encoded())
        }
        let report = try bench.measure(executable: Bench.executable, factory: FedtopBenchFederations(), scenarioArguments: { name, folder, extra in
            ["bench", "transport", "--scenario", name.rawValue, "--rounds", String(rounds), "--images", String(images),
             "--batch-size", String(batchSize), "--epsilon", String(epsilon), "--seed", String(seed), "--scratch", folder] + extra
        }, announce: { folder in
            if !json { print("fedtop bench transport: loopback, mutual TLS 1.3, certificates from `fedtop certs init` in \(folder)") }
        })
        if json { try printJSON(report) } else { printTable(report, dataset: bench.dataset) }
    }

    // MARK: - Printing

    private func printJSON(_ r: TransportBenchmark.Report) throws {
        func ms(_ s: Double) -> Double { (s * 1e5).rounded() / 100 }
        let object: [String: Any] = [
            "rounds": rounds, "images": images, "batch_size": batchSize, "hospitals": r.hospitals, "model": "lesioncnn",
            "parameters": r.parameters, "sigma": r.local.noiseMultiplier, "local_workers": localWorkers,
            "local_round_ms": ms(r.localPeriod), "remote_round_ms": ms(r.remotePeriod), "difference_ms": ms(r.difference),
            "local_training_ms": ms(r.local.timings.training), "remote_training_ms": ms(r.remote.timings.training),
            "local_evaluation_ms": ms(r.local.timings.evaluation), "remote_evaluation_ms": ms(r.remote.timings.evaluation),
            "remote_min_aggregated": r.remote.minAggregated,
            "bytes_per_round": r.bytesPerRound, "transfer_ms_per_round": ms(r.transferPerRound),
            "added_beyond_bytes_ms": ms(r.addedBeyondBytes), "bound_added_ms": TransportBenchmark.addedBoundMilliseconds,
            "transfer_ms_per_round_at_bound_rate": ms(r.transferPerRoundAtBound),
            "added_beyond_bytes_at_bound_rate_ms": ms(r.addedBeyondBytesAtBound),
            "transfer_model": r.transfer.model, "transfer_parameters": r.transfer.parameters, "transfer_bytes": r.transfer.bytes,
            "transfer_repeats": r.transfer.repeats, "transfer_wall_ms": ms(r.transfer.wall),
            "transfer_compute_ms": ms(r.transfer.compute), "signing_ms": ms(r.transfer.signing), "verifying_ms": ms(r.transfer.verifying),
            "transfer_mb_per_s": (r.transfer.megabytesPerSecond * 10).rounded() / 10,
            "transfer_connection_drops": r.transfer.drops,
            "bound_mb_per_s": TransportBenchmark.rateBoundMegabytesPerSecond,
        ]
        // NaN has no JSON form: a failed median is a failure, not a number.
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw RunError("bench transport: a measurement is not a number: \(object)")
        }
        print(String(decoding: data, as: UTF8.self))
    }

    private func printTable(_ r: TransportBenchmark.Report, dataset: String) {
        func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }
        func row(_ label: String, _ a: Double, _ b: Double) {
            print(pad(label, 34) + pad(ms(a), 12, right: true) + pad(ms(b), 12, right: true) + pad(ms(b - a), 12, right: true))
        }
        let (local, remote) = (r.local.timings, r.remote.timings)
        let shape = r.featureShape.map(String.init).joined(separator: "×")
        print("\nRounds: \(r.hospitals) hospitals, \(dataset) (\(shape)), lesioncnn (\(r.parameters) parameters), DP-SGD σ "
              + String(format: "%.3f", r.local.noiseMultiplier) + ", batch \(batchSize), \(rounds) rounds; medians over rounds 2…")
        print("local: one process, FEDTOP_WORKERS=\(localWorkers); remote: 3 `fedtop hospital` processes, grpcs:// on 127.0.0.1")
        print(pad("", 34) + pad("local", 12, right: true) + pad("remote", 12, right: true) + pad("difference", 12, right: true))
        row("round period", local.period, remote.period)
        row("  hospital training (wall)", local.training, remote.training)
        row("  evaluation", local.evaluation, remote.evaluation)
        row("  aggregation + other engine work", local.other + local.aggregation, remote.other + remote.aggregation)
        print(pad("bytes per round", 34) + String(format: "%.3f MB", Double(r.bytesPerRound) / 1e6)
              + "  (\(r.hospitals) × (model down + update up + model down to evaluate), Float32)")
        print(pad("  their time at the measured rate", 34) + ms(r.transferPerRound))

        let t = r.transfer
        print("\nModel transfer: \(t.model) (\(t.parameters) parameters, "
              + String(format: "%.2f MB", Double(t.bytes) / 1e6) + "), console → hospital through Evaluate, "
              + "\(t.repeats) calls after \(TransportBenchmark.warmup) warm-up")
        print(pad("Evaluate call (console's wall)", 34) + ms(t.wall))
        print(pad("  hospital's own evaluation", 34) + ms(t.compute) + "  (a local hospital on the same records)")
        print(pad("  of the wall: signing, verifying", 34) + ms(t.signing) + ", " + ms(t.verifying) + "  (timed alone)")
        if t.drops > 0 {
            print(pad("  connection reported lost", 34) + "\(t.drops) time(s), reattached; those calls not timed"
                  + (t.dropReason.map { " (\($0))" } ?? ""))
        }
        print(pad("transfer rate", 34) + String(format: "%.0f MB/s", t.megabytesPerSecond) + "  (10⁶ bytes ÷ (wall − evaluation))")

        print("")
        func verdict(_ seconds: Double) -> String { r.verdict(added: seconds) }
        print(String(format: "added per round beyond moving the bytes: %.2f ms (remote − local %.2f ms − bytes at %.0f MB/s %.2f ms); "
                     + "bound ≤ %.0f ms: %@", r.addedBeyondBytes * 1000, r.difference * 1000, t.megabytesPerSecond,
                     r.transferPerRound * 1000, TransportBenchmark.addedBoundMilliseconds, verdict(r.addedBeyondBytes)))
        print(String(format: "  at the %.0f MB/s bound the bytes would take %.2f ms, leaving %.2f ms: %@", TransportBenchmark.rateBoundMegabytesPerSecond,
                     r.transferPerRoundAtBound * 1000, r.addedBeyondBytesAtBound * 1000, verdict(r.addedBeyondBytesAtBound)))
        if r.addedBeyondBytes < 0 {
            print("  (below zero: the bytes' time counts the hospitals' transfers one after another, but they overlap)")
        }
        print(String(format: "model transfer: %.0f MB/s; bound ≥ %.0f MB/s: %@", t.megabytesPerSecond, TransportBenchmark.rateBoundMegabytesPerSecond,
                     t.megabytesPerSecond >= TransportBenchmark.rateBoundMegabytesPerSecond ? "met" : "not met"))
    }
}
