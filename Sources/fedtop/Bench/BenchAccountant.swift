import ArgumentParser
import Dispatch
import Privacy

/// `fedtop bench accountant`: the cost of reading ε (every frame of the console does) and of adding
/// a segment (every change of σ, C or q), for long mixed histories.
struct BenchAccountant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accountant", abstract: "Time the RDP accountant's ε readout and segment composition.")

    @Option(help: "Segments in the history (each a different σ).") var segments = 1000

    func validate() throws {
        guard segments > 0 else { throw ValidationError("--segments must be positive, got \(segments)") }
    }

    func run() throws {
        var accountant = RDPAccountant()
        let composeStart = DispatchTime.now().uptimeNanoseconds
        for i in 0..<segments {
            accountant.compose(try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 0.8 + Double(i % 50) * 0.05, steps: 100))
        }
        let compose = Double(DispatchTime.now().uptimeNanoseconds - composeStart) / 1e6 / Double(segments)
        let reads = 10_000
        var sink = 0.0
        let readStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<reads { sink += accountant.epsilon(delta: 1e-5).epsilon }
        let read = Double(DispatchTime.now().uptimeNanoseconds - readStart) / 1e6 / Double(reads)
        print("RDP accountant, \(accountant.orders.count) orders, history of \(accountant.segments.count) segments "
              + "(ε = \(String(format: "%.3f", sink / Double(reads))))")
        print(String(format: "ε readout:        %.4f ms (target ≤ 1 ms: %@)", read, read <= 1 ? "met" : "not met"))
        print(String(format: "add a segment:    %.4f ms", compose))
    }
}
