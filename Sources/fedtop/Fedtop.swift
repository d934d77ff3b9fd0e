import ArgumentParser

/// `fedtop`: the command line. With no subcommand it runs the default job (`run`).
@main
struct Fedtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedtop",
        abstract: "A terminal console for privacy-preserving federated learning across hospitals.",
        subcommands: [],
        defaultSubcommand: nil)
}
