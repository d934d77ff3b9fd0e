import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `fedtop`: the command line. With no subcommand it runs the default job (`run`).
///
/// Exit status: 0 success, 1 failure, 2 bad usage (every argument or validation error).
struct Fedtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedtop",
        abstract: "A terminal console for privacy-preserving federated learning across hospitals.",
        version: "fedtop 0.18.0",
        subcommands: [Run.self, InitCommand.self, HospitalCommand.self, CertsCommand.self, PrivacyCommand.self, ReplayCommand.self, AuditCommand.self,
                      ServeCommand.self, DataCommand.self, Bench.self],
        defaultSubcommand: Run.self)
}

/// `fedtop bench …`: the speed measurements reported in the README.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the tensor core, DP-SGD training, the privacy accountant, engine rounds, the transport and serving.",
        subcommands: [BenchTensor.self, BenchDPSGD.self, BenchAccountant.self, BenchNoise.self, BenchUtility.self, BenchRounds.self, BenchDropout.self, BenchScale.self, BenchServe.self,
                      BenchTransport.self, BenchSecAgg.self])

    /// This executable, as the benchmarks' child processes run it.
    static var executable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }
}

@main
enum Main {
    static func main() {
        OpenFileLimit.raiseToHardLimit()
        AllocatorPolicy.apply()
        do {
            var command = try Fedtop.parseAsRoot()
            try command.run()
        } catch {
            let code = Fedtop.exitCode(for: error)
            if code == .validationFailure {
                // One line, naming what was wrong; `fedtop help` has the usage.
                let message = Fedtop.message(for: error).split(separator: "\n").joined(separator: "; ")
                FileHandle.standardError.write(Data("fedtop: \(message)\n".utf8))
                exit(2)
            }
            Fedtop.exit(withError: error)
        }
    }
}
