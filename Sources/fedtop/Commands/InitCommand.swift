import ArgumentParser
import Datasets
import RunConfiguration
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
            for (option, value) in options.set { print("\(option.name) = \(value)") }
            print("fedtop: \(check) is a valid run file")
            return
        }
        let (format, path) = try destination()
        let text = RunFile.example(format: format)
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
