import Foundation
import Testing
@testable import fedtop

@Suite("fedtop init")
struct InitCommandTests {
    @Test("init writes a run file that validates, refuses to overwrite it, and --force overwrites it")
    func writesAndRefuses() throws {
        for (name, marker) in [("fedtop.toml", "rounds = 30"), ("fedtop.yaml", "rounds: 30")] {
            let path = try temporaryDirectory().appendingPathComponent(name).path
            let first = try CommandRunner.run(["init", "--output", path])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("wrote \(path)"))
            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written.contains("\n\(marker) "))
            #expect(try RunFile.load(path: path) == RunOptions.defaults)

            try "# edited\n".write(toFile: path, atomically: true, encoding: .utf8)
            let again = try CommandRunner.run(["init", "--output", path])
            #expect(again.status == 2)
            #expect(again.stderr == "fedtop: \(path) already exists; pass --force to overwrite it\n")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "# edited\n")

            let forced = try CommandRunner.run(["init", "--output", path, "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == written)

            let check = try CommandRunner.run(["init", "--check", path])
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("\nrounds = 30\n") && check.stdout.contains("dp = \"sample\"\n"))
            #expect(check.stdout.hasSuffix("fedtop: \(path) is a valid run file\n"))
        }
    }

    @Test("--check names the file, line and key of a bad run file and exits 2")
    func checkRefuses() throws {
        let path = try writeRunFile("run.yaml", "rounds: 3\nlocal-epoch: 2\n")
        let r = try CommandRunner.run(["init", "--check", path])
        #expect(r.status == 2)
        #expect(r.stderr == "fedtop: \(path):2:1: unknown key `local-epoch` (did you mean `local-epochs`?)\n")
    }

    @Test("--format and --output agree; the format follows the name; - writes to standard output")
    func formats() throws {
        let dir = try temporaryDirectory()
        let clash = try CommandRunner.run(["init", "--format", "toml", "--output", dir.appendingPathComponent("a.yml").path])
        #expect(clash.status == 2 && clash.stderr.contains("names a YAML file but --format is toml"))
        let unnamed = try CommandRunner.run(["init", "--output", dir.appendingPathComponent("a.json").path])
        #expect(unnamed.status == 2 && unnamed.stderr.contains("must end in .toml, .yaml or .yml"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.json").path))
        let stdout = try CommandRunner.run(["init", "--format", "yaml", "--output", "-"])
        #expect(stdout.status == 0 && stdout.stdout == InitCommand.example(format: .yaml))

        #expect(try InitCommand.parse([]).destination() == (.toml, "fedtop.toml"))
        #expect(try InitCommand.parse(["--format", "yaml"]).destination() == (.yaml, "fedtop.yaml"))
        #expect(try InitCommand.parse(["-o", "x/run.yml"]).destination() == (.yaml, "x/run.yml"))
    }

    @Test("the example fedtop init writes loads back as the defaults, in both formats")
    func exampleLoads() throws {
        for format in RunFile.Format.allCases {
            let text = InitCommand.example(format: format)
            #expect(try RunFile.parse(text, format: format, path: "example") == RunOptions.defaults)
            // Every key is in it, with a comment; uncommented, every key loads.
            for key in RunOptions.Key.allCases {
                let separator = format == .toml ? " = " : ": "
                #expect(text.contains("\n\(key.rawValue)\(separator)") || text.contains("\n# \(key.rawValue)\(separator)"),
                        "\(key) missing from the \(format) example")
            }
            let everything = try RunFile.parse(uncommented(text), format: format, path: "example")
            #expect(RunOptions.Key.allCases.allSatisfy { everything[$0] != nil })
        }
        #expect(try RunFile.parse(uncommented(InitCommand.example(format: .toml)), format: .toml, path: "x")
                == RunFile.parse(uncommented(InitCommand.example(format: .yaml)), format: .yaml, path: "x"))
    }

    /// `text` with each commented-out key line made active.
    func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let body = line.dropFirst(2)
            let isKeyLine = RunOptions.Key.allCases.contains {
                body.hasPrefix($0.rawValue + " = ") || body.hasPrefix($0.rawValue + ": ")
            }
            return line.hasPrefix("# ") && isKeyLine ? String(body) : String(line)
        }.joined(separator: "\n")
    }
}
