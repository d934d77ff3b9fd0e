import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench accountant`: the cost of reading ε and of adding a segment, for long mixed
/// histories (``AccountantCost``).
struct BenchAccountant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accountant", abstract: "Time the RDP accountant's ε readout and segment composition.")

    @Option(help: "Segments in the history (each a different σ).") var segments = 1000

    func validate() throws {
        guard segments > 0 else { throw ValidationError("--segments must be positive, got \(segments)") }
    }

    func run() throws {
        let r = try AccountantCost.measure(segments: segments)
        print("RDP accountant, \(r.orders) orders, history of \(r.segments) segments (ε = \(String(format: "%.3f", r.epsilon)))")
        print(String(format: "ε readout:        %.4f ms (target ≤ 1 ms: %@)", r.readoutMilliseconds, r.readoutMilliseconds <= 1 ? "met" : "not met"))
        print(String(format: "add a segment:    %.4f ms", r.composeMilliseconds))
    }
}
