import ArgumentParser
import Foundation
import Serving

/// Where `fedtop serve` keeps its state — API keys, the private answers' ledgers and their seals,
/// the audit log: `--state DIR`, else `$FEDTOP_SERVE_STATE`, else `~/.local/state/fedtop/serve`
/// (folders 0700; never the run folder, which the server only reads).
struct ServeStateOption: ParsableArguments {
    @Option(help: ArgumentHelp("The server's state folder (keys.json, ledgers, seals, audit log).", valueName: "DIR"))
    var state: String?

    var directory: String {
        if let state, !state.isEmpty { return state }
        if let chosen = ProcessInfo.processInfo.environment["FEDTOP_SERVE_STATE"], !chosen.isEmpty { return chosen }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/state/fedtop/serve"
    }

    var keysPath: String { directory + "/keys.json" }

    /// Creates the folder (0700) if it is missing.
    func prepare() throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw RunError("\(directory): cannot create the server's state folder: \(error.localizedDescription)")
        }
    }
}

/// `fedtop serve keys …`: issue, revoke and list the server's API keys.
struct ServeKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Issue, revoke and list the server's API keys (stored hashed).",
        subcommands: [ServeKeysAdd.self, ServeKeysRevoke.self, ServeKeysList.self])
}

/// `fedtop serve keys add NAME`: a new key; its token is printed once and never stored.
struct ServeKeysAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Issue an API key; its token is printed once (only its SHA-256 is stored).")

    @Argument(help: "Who holds the key (1–64 characters), for the audit log.") var name: String
    @OptionGroup var state: ServeStateOption
    @Option(name: .customLong("scope"), help: "What the key may do: predict, private, metrics (repeatable; default predict).")
    var scopes: [String] = []
    @Option(help: "Records per second the key may send (its token bucket's rate).") var rate = 50.0
    @Option(help: "Records the key may send at once (its token bucket's size).") var burst = 100
    @Option(help: "The key's ε budget for private predictions (0: none).") var privateEpsilon = 0.0
    @Option(help: "δ of that budget.") var privateDelta = 1e-6

    func run() throws {
        var chosen: [APIScope] = []
        for s in scopes.isEmpty ? ["predict"] : scopes {
            guard let scope = APIScope(rawValue: s) else { throw ValidationError("--scope \(s): expected predict, private or metrics") }
            if !chosen.contains(scope) { chosen.append(scope) }
        }
        try state.prepare()
        var store = try APIKeyStore.open(path: state.keysPath)
        let (key, token) = try store.add(name: name, scopes: chosen, recordsPerSecond: rate, burst: burst,
                                         privateEpsilon: privateEpsilon, privateDelta: privateDelta)
        FileHandle.standardError.write(Data("issued key \(key.id) for \(key.name) (\(chosen.map(\.rawValue).joined(separator: ", "))) in \(state.keysPath); the token below is shown once\n".utf8))
        print(token)
    }
}

/// `fedtop serve keys revoke ID`.
struct ServeKeysRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API key (a running server stops accepting it within a second).")

    @Argument(help: "The key's id (12 hex digits, from `keys list`).") var id: String
    @OptionGroup var state: ServeStateOption

    func run() throws {
        var store = try APIKeyStore.open(path: state.keysPath)
        try store.revoke(id: id)
        print("revoked key \(id)")
    }
}

/// `fedtop serve keys list`.
struct ServeKeysList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the API keys (never their tokens).")

    @OptionGroup var state: ServeStateOption

    func run() throws {
        let store = try APIKeyStore.open(path: state.keysPath)
        print(pad("id", 14) + pad("name", 20) + pad("scopes", 24) + pad("records/s", 11) + pad("burst", 7) + pad("private ε", 11) + "status")
        for key in store.keys {
            print(pad(key.id, 14) + pad(key.name, 20) + pad(key.scopes.map(\.rawValue).joined(separator: ","), 24)
                  + pad(String(format: "%g", key.recordsPerSecond), 11) + pad("\(key.burst)", 7)
                  + pad(String(format: "%g", key.privateEpsilon), 11) + (key.revoked.map { "revoked \($0)" } ?? "active"))
        }
    }
}
