import ArgumentParser
import Foundation

/// `fedtop serve …`: the trained model behind a hardened inference API, and its API keys.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a federation's trained model over a hardened HTTPS API, and manage its API keys.",
        subcommands: [ServeRun.self, ServeKeys.self])
}
