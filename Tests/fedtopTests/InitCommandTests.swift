import Foundation
import Testing
@testable import fedtop
import RunConfiguration

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
        #expect(stdout.status == 0 && stdout.stdout == RunFile.example(format: .yaml))

        #expect(try InitCommand.parse([]).destination() == (.toml, "fedtop.toml"))
        #expect(try InitCommand.parse(["--format", "yaml"]).destination() == (.yaml, "fedtop.yaml"))
        #expect(try InitCommand.parse(["-o", "x/run.yml"]).destination() == (.yaml, "x/run.yml"))
    }
}
