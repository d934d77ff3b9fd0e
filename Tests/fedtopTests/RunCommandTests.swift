import Foundation
import Testing
import TensorCore

@Suite("fedtop run --central")
struct RunCommandTests {
    func epochLosses(_ stdout: String) -> [Double] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.compactMap { line in
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(of: "loss") else { return nil }
            return Double(words[i + 1])
        }
    }

    @Test("training on WDBC prints one line per epoch, the loss falls and the accuracy is high")
    func trainsWDBC() throws {
        let r = try CommandRunner.run(["run", "--central", "--dataset", "wdbc", "--epochs", "4", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wdbc, 569 records"))
        let losses = epochLosses(r.stdout)
        #expect(losses.count == 4)
        #expect(losses.last! < losses.first!)
        let accuracy = r.stdout.split(separator: "\n").last { $0.hasPrefix("epoch 4/4") }
            .flatMap { $0.split(separator: " ").last { Double($0) != nil && $0.contains(".") } }
        #expect(accuracy != nil)
    }

    @Test("--save writes weights that load back into the same model")
    func saveWeights() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-run-\(UUID().uuidString).safetensors").path
        let r = try CommandRunner.run(["run", "--central", "--dataset", "digits", "--epochs", "1", "--save", path])
        #expect(r.status == 0, "\(r.stderr)")
        var model = try ModelZoo.mlp(inputShape: [64], classes: 10, seed: 99)
        let metadata = try model.load(from: path)
        #expect(metadata["fedtop.dataset"] == "digits" && metadata["fedtop.model"] == "mlp")
    }

    @Test("a bad dataset, a missing file or a bad option exits 2 with a message naming it",
          arguments: [(["run", "--central", "--dataset", "imagenet"], "imagenet"),
                      (["run", "--central", "--dataset", "csv:/nonexistent/x.csv"], "/nonexistent/x.csv"),
                      (["run", "--central", "--epochs", "0"], "--epochs"),
                      (["run", "--central", "--dataset", "wdbc", "--model", "smallcnn"], "smallcnn")])
    func badInput(arguments: [String], named: String) throws {
        let r = try CommandRunner.run(arguments)
        #expect(r.status == 2, "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }
}

@Suite("fedtop run --central with DP-SGD")
struct RunPrivacyTests {
    func epsilons(_ stdout: String) -> [Double] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.compactMap { line in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "ε").flatMap { Double(words[$0 + 1]) }
        }
    }

    @Test("--epsilon calibrates σ: ε rises every epoch and ends at, never above, the budget")
    func budgetMet() throws {
        let r = try CommandRunner.run(["run", "--central", "--dataset", "wdbc", "--epochs", "5", "--epsilon", "1.5", "--learning-rate", "0.5"])
        #expect(r.status == 0, "\(r.stderr)")
        let eps = epsilons(r.stdout)
        #expect(eps.count == 5)
        #expect(zip(eps, eps.dropFirst()).allSatisfy { $0 < $1 })
        #expect(eps.last! <= 1.5 && eps.last! > 1.45)
        #expect(r.stdout.contains("DP-SGD σ") && !r.stdout.contains("not secure"))
    }

    @Test("seeded noise is reproducible and says it is not secure")
    func seededNoise() throws {
        let args = ["run", "--central", "--dataset", "digits", "--epochs", "2", "--noise", "1.0", "--noise-seed", "7"]
        let a = try CommandRunner.run(args), b = try CommandRunner.run(args)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("seeded noise: reproducible, not secure"))
        let lines = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("epoch") }.map { $0.split(separator: " ").prefix(11).joined(separator: " ") } }
        #expect(lines(a.stdout) == lines(b.stdout))
    }

    @Test("conflicting or invalid DP options exit 2", arguments: [["--epsilon", "1", "--noise", "1"], ["--epsilon", "0"],
                                                                 ["--clip", "0", "--epsilon", "1"], ["--delta", "1", "--epsilon", "1"]])
    func badOptions(extra: [String]) throws {
        let r = try CommandRunner.run(["run", "--central", "--dataset", "wdbc", "--epochs", "1"] + extra)
        #expect(r.status == 2, "\(r.stderr)")
    }
}

@Suite("README and CI")
struct ReadmeTests {
    @Test("the README holds exactly two set-up commands, and .ci/run runs its test command")
    func commandsAgree() throws {
        let readme = try String(contentsOf: CommandRunner.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let ci = try String(contentsOf: CommandRunner.repositoryRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
        let setup = readme.split(separator: "\n").filter { $0.hasPrefix("apt-get update && apt-get install") }
        #expect(setup.count == 2)
        #expect(setup.first { $0.hasSuffix("swift run -c release fedtop") } != nil)
        let test = try #require(setup.first { $0.hasSuffix("swift test") })
        #expect(ci.split(separator: "\n").contains(test))
    }
}
