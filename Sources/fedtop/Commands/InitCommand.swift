import ArgumentParser
import Datasets
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fedtop init`: writes a commented example run file (``RunFile``) holding every option of
/// `fedtop run`: the ones with a default set to it, the others commented out with an example value.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write an example run file: every option of `fedtop run`, with its default and a comment.")

    @Option(help: "The run file's syntax (default: by the --output name's extension, else toml).")
    var format: RunFile.Format?

    @Option(name: [.short, .long],
            help: ArgumentHelp("The file to write, .toml, .yaml or .yml (default: fedtop.toml or fedtop.yaml); "
                               + "- for standard output.", valueName: "PATH"))
    var output: String?

    @Flag(help: "Overwrite the file if it exists.")
    var force = false

    @Option(help: ArgumentHelp("Instead of writing a file: check the run file at PATH and print the options it sets.",
                               valueName: "PATH"))
    var check: String?

    /// The format and the path: each follows from the other when only one is given.
    func destination() throws -> (format: RunFile.Format, path: String) {
        guard let output else {
            let format = format ?? .toml
            return (format, format.defaultFileName)
        }
        if output == "-" { return (format ?? .toml, output) }
        guard let named = RunFile.Format(path: output) else {
            throw ValidationError("--output \(output): the name must end in .toml, .yaml or .yml, "
                                  + "which is how a run file's format is told")
        }
        if let format, format != named {
            throw ValidationError("--output \(output) names a \(named.displayName) file but --format is \(format.rawValue)")
        }
        return (named, output)
    }

    func validate() throws {
        if check != nil {
            guard format == nil, output == nil, !force else {
                throw ValidationError("--check reads a file; it takes no --format, --output or --force")
            }
            return
        }
        _ = try destination()
    }

    func run() throws {
        if let check {
            let options: RunOptions
            do { options = try RunFile.load(path: check) } catch { throw ValidationError(error.description) }
            for key in RunOptions.Key.allCases {
                if let value = options[key] { print("\(key.rawValue) = \(value)") }
            }
            print("fedtop: \(check) is a valid run file")
            return
        }
        let (format, path) = try destination()
        let text = Self.example(format: format)
        if path == "-" {
            print(text, terminator: "")
            return
        }
        // O_EXCL: without --force, never replace a file, even one created since a check.
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw ValidationError("\(path) already exists; pass --force to overwrite it")
            }
            throw POSIXFileError(path: path, operation: "create")
        }
        defer { _ = close(descriptor) }
        try POSIXFile.writeAll(Array(text.utf8), to: descriptor, path: path)
        print("fedtop: wrote \(path): every option of `fedtop run` (\(format.displayName)); "
              + "options given on the command line override it")
    }
}

extension RunFile.Format: ExpressibleByArgument {}

// MARK: - The example file

extension InitCommand {
    /// The sections of the example, in order.
    private static let sections: [(title: String, keys: [RunOptions.Key])] = [
        ("Federation", [.hospitals, .hospital, .certs, .rounds, .perRound, .sampleRate, .quorum, .deadline, .strategy]),
        ("Data", [.dataset, .partition, .testFraction, .centralHoldout, .featureClip]),
        ("Model and local training", [.model, .localEpochs, .batchSize, .learningRate, .momentum, .seed]),
        ("Privacy", [.dp, .epsilon, .delta, .clip, .noise, .clientNoise, .clientClip, .adaptiveClip, .noiseSeed]),
        ("Secure aggregation", [.secureAggregation, .secaggBits, .secaggRange]),
        ("Output", [.out, .name, .headless, .json]),
    ]

    /// The comment on each key's line, and the example value of a key without a default.
    private static func describe(_ key: RunOptions.Key) -> (comment: String, example: RunOptions.Value?) {
        switch key {
        case .hospitals: ("local hospitals, simulated in this process", nil)
        case .hospital: ("remote hospitals (`fedtop hospital` processes), grpcs://[NAME@]HOST:PORT each",
                         .strings(["grpcs://alice@hospital-a.example.org:7443"]))
        case .certs: ("the console's folder from `fedtop certs init`, for remote hospitals", .string("federation/console"))
        case .rounds: ("federated rounds", nil)
        case .perRound: ("hospitals asked each round", nil)
        case .sampleRate: ("instead of per-round: the chance each hospital is asked in a round", .number(0.5))
        case .quorum: ("the fewest updates a round aggregates", nil)
        case .deadline: ("seconds a round waits for updates (default: until all answer)", .number(60))
        case .strategy: ("how updates are combined, e.g. fedavg", nil)
        case .dataset: ("\(DatasetSource.help)", nil)
        case .partition: ("records across hospitals: iid | dirichlet:ALPHA | quantity:SIGMA", nil)
        case .testFraction: ("fraction of the records held out for testing (default: 0.2)", .number(0.2))
        case .centralHoldout: ("fraction of all records held out centrally for a central evaluation (default: none)", .number(0.1))
        case .featureClip: ("clamp each hospital's standardised features to ±this many standard deviations (default: no bound)", .number(5))
        case .model: ("\(ModelZoo.names.joined(separator: " | ")) (default: by dataset)", .string("lesioncnn"))
        case .localEpochs: ("passes over its data each hospital makes per round", nil)
        case .batchSize: ("samples per batch (with DP-SGD: the expected Poisson batch)", nil)
        case .learningRate: ("SGD learning rate", nil)
        case .momentum: ("SGD momentum, in [0, 1)", nil)
        case .seed: ("seed for the split, initialisation, batches and sampling", nil)
        case .dp: ("differential privacy: sample (DP-SGD) | client (DP-FedAvg) | both | off", nil)
        case .epsilon: ("the privacy budget ε for the whole run", nil)
        case .delta: ("δ", nil)
        case .clip: ("sample-level clip norm C", nil)
        case .noise: ("instead of epsilon: the sample-level noise multiplier σ", .number(1.1))
        case .clientNoise: ("client-level noise multiplier z", .number(1.0))
        case .clientClip: ("client-level clip norm S", .number(0.5))
        case .adaptiveClip: ("adapt S to a quantile of the update norms", .boolean(true))
        case .noiseSeed: ("seed the privacy noise: reproducible, NOT secure", .seed(7))
        case .secureAggregation: ("the aggregator learns only the sum of the updates (SecAgg; SecAgg+ from 64 hospitals)", .boolean(true))
        case .secaggBits: ("secure aggregation: quantisation bits, 2^b levels per coordinate (default 16)", .integer(16))
        case .secaggRange: ("secure aggregation: each weighted coordinate is clipped to ±range (default 1; S under dp client)", .number(1.0))
        case .out: ("directory for the run's files", .string("runs"))
        case .name: ("the run's name", .string("lesions-dp"))
        case .headless: ("no console: print progress lines", .boolean(true))
        case .json: ("machine-readable output", .boolean(true))
        }
    }

    /// The example run file in `format`: every key of ``RunOptions/Key``, set to its default from
    /// ``RunOptions/defaults`` or commented out with an example value.
    static func example(format: RunFile.Format) -> String {
        let file = format.defaultFileName
        var text = """
            # fedtop run file (\(format.displayName)), written by `fedtop init`.
            # Every option of `fedtop run`, named as on the command line without the dashes;
            # options given on the command line override the ones here. A key that is commented out
            # (or deleted) is left to `fedtop run`'s default. Check a file with: fedtop init --check \(file)

            """
        var lines: [(String, String)] = []
        var sectionStarts: [Int: String] = [:]
        for section in sections {
            sectionStarts[lines.count] = section.title
            for key in section.keys {
                let (comment, example) = describe(key)
                let value = RunOptions.defaults[key] ?? example!
                let separator = format == .toml ? " = " : ": "
                let entry = (RunOptions.defaults[key] == nil ? "# " : "") + key.rawValue + separator + value.description
                lines.append((entry, comment))
            }
        }
        // Comments line up, past the usual entries; a longer entry gets two spaces.
        let width = min(lines.map(\.0.count).max()!, 26) + 2
        for (index, (entry, comment)) in lines.enumerated() {
            if let title = sectionStarts[index] { text += "\n# \(title)\n" }
            text += entry + String(repeating: " ", count: max(width - entry.count, 2)) + "# " + comment + "\n"
        }
        return text
    }
}
