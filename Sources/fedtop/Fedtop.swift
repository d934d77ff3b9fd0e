import ArgumentParser

/// `fedtop`: the command line. With no subcommand it runs the default job (`run`).
@main
struct Fedtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedtop",
        abstract: "A terminal console for privacy-preserving federated learning across hospitals.",
        subcommands: [Bench.self])
}

/// `fedtop bench …`: the speed measurements reported in the README.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the tensor core and DP-SGD training speed.",
        subcommands: [BenchDPSGD.self])
}
