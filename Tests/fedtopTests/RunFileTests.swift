import Foundation
import Testing
@testable import fedtop

/// A fresh directory for one test's files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-runfile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `name` in a fresh directory and returns the path.
func writeRunFile(_ name: String, _ text: String) throws -> String {
    let path = try temporaryDirectory().appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The error `RunFile.parse` throws for `text`.
func parseError(_ text: String, _ format: RunFile.Format, path: String = "run.file") -> RunFileError? {
    do {
        _ = try RunFile.parse(text, format: format, path: path)
        return nil
    } catch {
        return error
    }
}

@Suite("run file")
struct RunFileTests {
    /// What both good files below set.
    static let expected = RunOptions(
        hospitals: 4, hospital: ["grpcs://a.example.org:7443", "grpcs://[::1]:9000"], sampleRate: 0.5, quorum: 2,
        deadline: 60, strategy: "fedavg", rounds: 10, dataset: "wdbc", partition: "dirichlet:0.5", model: "mlp",
        localEpochs: 2, batchSize: 32, learningRate: 0.1, momentum: 0, seed: 42, dp: "off", epsilon: 3,
        delta: 1e-5, clientClip: 0.5, adaptiveClip: true, noiseSeed: 0, headless: true, json: false)

    @Test("a TOML file sets each key it holds, with an integer taken for a number")
    func toml() throws {
        let path = try writeRunFile("run.toml", """
            # a comment
            hospitals = 4
            hospital = ["grpcs://a.example.org:7443", "grpcs://[::1]:9000"]
            sample-rate = 0.5
            quorum = 2
            deadline = 60          # an integer for a number
            strategy = "fedavg"
            rounds = 10
            dataset = 'wdbc'
            partition = "dirichlet:0.5"
            model = "mlp"
            local-epochs = 2
            batch-size = 32
            learning-rate = 0.1
            momentum = 0
            seed = 42
            dp = "off"
            epsilon = 3.0
            delta = 1e-5
            client-clip = 0.5
            adaptive-clip = true
            noise-seed = 0
            headless = true
            json = false
            """)
        #expect(try RunFile.load(path: path) == Self.expected)
    }

    @Test("a YAML file sets the same options; unquoted scalars are text for string keys (dp: off)")
    func yaml() throws {
        let text = """
            # a comment
            hospitals: 4
            hospital:
              - grpcs://a.example.org:7443
              - "grpcs://[::1]:9000"
            sample-rate: 0.5
            quorum: 2
            deadline: 60
            strategy: fedavg
            rounds: 10
            dataset: wdbc
            partition: dirichlet:0.5
            model: "mlp"
            local-epochs: 2
            batch-size: 32
            learning-rate: 0.1
            momentum: 0
            seed: 42
            dp: off
            epsilon: 3.0
            delta: 1e-5
            client-clip: 0.5
            adaptive-clip: true
            noise-seed: 0
            headless: yes
            json: false
            """
        #expect(try RunFile.load(path: try writeRunFile("run.yaml", text)) == Self.expected)
        #expect(try RunFile.load(path: try writeRunFile("run.yml", text)) == Self.expected)
    }

    @Test("an empty file, or one of comments only, sets nothing")
    func empty() throws {
        for format in RunFile.Format.allCases {
            #expect(try RunFile.parse("", format: format, path: "x").isEmpty)
            #expect(try RunFile.parse("# nothing\n\n", format: format, path: "x").isEmpty)
        }
    }

    @Test("an unknown key names the file, the line and the closest key")
    func unknownKey() throws {
        let path = try writeRunFile("fedtop.toml", "rounds = 3\nrouns = 4\n")
        do {
            _ = try RunFile.load(path: path)
            Issue.record("loaded a file with an unknown key")
        } catch {
            #expect(error.reason == .unknownKey(suggestion: "rounds"))
            #expect(error.key == "rouns" && error.line == 2 && error.column == 1)
            #expect(error.description == "\(path):2:1: unknown key `rouns` (did you mean `rounds`?)")
        }
        let yaml = parseError("dataset: wdbc\nlearning_rate: 0.1\n", .yaml, path: "run.yaml")
        #expect(yaml?.reason == .unknownKey(suggestion: "learning-rate"))
        #expect(yaml?.description == "run.yaml:2:1: unknown key `learning_rate` (did you mean `learning-rate`?)")
        #expect(parseError("batchSize = 3", .toml)?.reason == .unknownKey(suggestion: "batch-size"))
        #expect(parseError("colour = 3", .toml)?.reason == .unknownKey(suggestion: nil))
        #expect(parseError("colour = 3", .toml)?.description == "run.file:1:1: unknown key `colour`")
        // A section is an unknown key: the format is flat.
        let section = parseError("rounds = 3\n\n[privacy]\nepsilon = 2.0\n", .toml)
        #expect(section?.description == "run.file:3:2: unknown section `privacy`: the run file is flat, every key at the top level")
        let nested = parseError("privacy:\n  epsilon: 2.0\n", .yaml)
        #expect(nested?.reason == .section && nested?.key == "privacy" && nested?.line == 1)
        #expect(parseError("privacy.epsilon = 2.0", .toml)?.reason == .section)
        #expect(parseError("rounds = 3\n[rounds]\n", .toml) != nil)  // toml++ refuses the redefinition
        #expect(parseError("[dataset]\nname = 1\n", .toml)?.reason
                == .wrongType(expected: "a string", got: "a table (the run file is flat: no sections)"))
    }

    @Test("a value of the wrong type names the key, what it takes and what it got")
    func wrongType() throws {
        let path = try writeRunFile("fedtop.toml", "dataset = \"lesions\"\n  rounds = \"ten\"\n")
        #expect(throws: RunFileError.self) { try RunFile.load(path: path) }
        do { _ = try RunFile.load(path: path) } catch {
            #expect(error.reason == .wrongType(expected: "an integer", got: "string \"ten\""))
            #expect(error.description == "\(path):2:3: key `rounds`: expected an integer, got string \"ten\"")
        }
        #expect(parseError("rounds: ten", .yaml)?.description
                == "run.file:1:1: key `rounds`: expected an integer, got string \"ten\"")
        #expect(parseError("rounds = 30.5", .toml)?.reason == .wrongType(expected: "an integer", got: "number 30.5"))
        #expect(parseError("epsilon = \"3\"", .toml)?.reason == .wrongType(expected: "a number", got: "string \"3\""))
        #expect(parseError("headless = 1", .toml)?.reason == .wrongType(expected: "true or false", got: "integer 1"))
        #expect(parseError("dataset = 42", .toml)?.reason == .wrongType(expected: "a string", got: "integer 42"))
        #expect(parseError("hospital = [1]", .toml)?.reason
                == .wrongType(expected: "a list of strings", got: "a list holding integer 1"))
        #expect(parseError("rounds = [30]", .toml)?.reason == .wrongType(expected: "an integer", got: "a list"))
        #expect(parseError("rounds = 1979-05-27", .toml)?.reason
                == .wrongType(expected: "an integer", got: "date 1979-05-27"))
        // YAML: quoted is a string whatever it holds; an empty value is null, not "unset".
        #expect(parseError("rounds: \"10\"", .yaml)?.reason == .wrongType(expected: "an integer", got: "string \"10\""))
        #expect(parseError("model:\n", .yaml)?.reason.isWrongType == true)
        #expect(parseError("seed: 99999999999999999999999", .yaml)?.reason.isWrongType == true)
    }

    @Test("out-of-range values name the key and the rule")
    func outOfRange() {
        #expect(parseError("rounds = 0", .toml)?.description == "run.file:1:1: key `rounds`: must be at least 1, got 0")
        #expect(parseError("hospitals: -2", .yaml)?.reason == .invalidValue("must be at least 0, got -2"))
        #expect(parseError("seed = -1", .toml)?.reason == .invalidValue("must be at least 0, got -1"))
        #expect(parseError("momentum = 1.0", .toml)?.reason == .invalidValue("must be in [0, 1), got 1.0"))
        #expect(parseError("delta = 0", .toml)?.key == "delta")
        #expect(parseError("epsilon = inf", .toml)?.key == "epsilon")
        #expect(parseError("dp = \"maybe\"", .toml)?.reason
                == .invalidValue("must be one of sample, client, both, off, got \"maybe\""))
        #expect(parseError("partition = \"dirichlet:-1\"", .toml)?.key == "partition")
        #expect(parseError("hospital = \"https://a:1\"", .toml)?.key == "hospital")
        #expect(parseError("hospital = \"grpcs://a\"", .toml)?.key == "hospital")
        #expect(parseError("dataset = \"\"", .toml)?.reason == .invalidValue("must not be empty"))
        // hospital takes one string as a list of one.
        #expect(try! RunFile.parse("hospital = \"grpcs://h:1\"", format: .toml, path: "x").hospital == ["grpcs://h:1"])
    }

    @Test("an unsupported extension is refused before reading, naming the file")
    func badExtension() throws {
        for path in ["run.json", "run", "toml", "/tmp/x.toml/run.ini"] {
            do {
                _ = try RunFile.load(path: path)
                Issue.record("loaded \(path)")
            } catch {
                #expect(error.reason == .unsupportedFormat)
                #expect(error.description.hasPrefix("\(path): not a run file"))
            }
        }
        #expect(RunFile.Format(path: "a/B.YML") == .yaml && RunFile.Format(path: "x.Toml") == .toml)
    }

    @Test("a missing file is unreadable, naming the file and the system's reason")
    func unreadable() {
        do {
            _ = try RunFile.load(path: "/nonexistent/fedtop.toml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.reason == .unreadable("No such file or directory"))
            #expect(error.description == "/nonexistent/fedtop.toml: cannot read the run file: No such file or directory")
        }
    }

    @Test("syntax errors name the file, line and column, and the parser's problem")
    func syntaxError() throws {
        let toml = try writeRunFile("bad.toml", "rounds = 3\ndataset = = \"x\"\n")
        do {
            _ = try RunFile.load(path: toml)
            Issue.record("loaded bad TOML")
        } catch {
            guard case .syntax(let message) = error.reason else { Issue.record("\(error)"); return }
            #expect(message.hasPrefix("TOML syntax error: "))
            #expect(error.line == 2 && error.column != nil)
            #expect(error.description.hasPrefix("\(toml):2:"))
        }
        #expect(parseError("rounds = 3\nrounds = 4\n", .toml)?.line == 2)  // a duplicate key
        let yaml = try writeRunFile("bad.yaml", "rounds: 3\ndataset: [wdbc\n")
        do {
            _ = try RunFile.load(path: yaml)
            Issue.record("loaded bad YAML")
        } catch {
            guard case .syntax(let message) = error.reason else { Issue.record("\(error)"); return }
            #expect(message.hasPrefix("YAML syntax error: "))
            #expect(error.line != nil && error.column != nil)
            #expect(error.description.hasPrefix("\(yaml):"))
        }
        let duplicate = parseError("rounds: 3\nrounds: 4\n", .yaml)
        guard case .syntax(let message) = duplicate?.reason else { Issue.record("\(String(describing: duplicate))"); return }
        #expect(message.contains("`rounds` given more than once"))
        #expect(parseError("- rounds: 3\n", .yaml)?.reason == .notAMapping(got: "a list"))
    }

    @Test("options given on the command line override the file's; unset ones do not erase it")
    func overriding() {
        let file = RunOptions(rounds: 10, dataset: "wdbc", seed: 3, dp: "sample")
        let commandLine = RunOptions(rounds: 5, seed: 0, dp: "off", headless: true)
        let merged = file.overriding(with: commandLine)
        #expect(merged == RunOptions(rounds: 5, dataset: "wdbc", seed: 0, dp: "off", headless: true))
        #expect(file.overriding(with: RunOptions()) == file)
        #expect(RunOptions().overriding(with: file) == file)
    }

    @Test("every key reads and writes its own property")
    func keys() throws {
        let all = RunOptions(
            hospitals: 1, hospital: ["grpcs://h:1"], certs: "c", perRound: 2, sampleRate: 0.3, quorum: 4, deadline: 5, strategy: "s",
            rounds: 6, dataset: "d", partition: "iid", testFraction: 0.7, centralHoldout: 0.21, featureClip: 4.5, model: "m", localEpochs: 8, batchSize: 9,
            learningRate: 0.11, momentum: 0.12, seed: 13, dp: "both", epsilon: 14, delta: 0.015, noise: 16, clip: 17,
            clientNoise: 18, clientClip: 19, adaptiveClip: true, noiseSeed: 20, secureAggregation: true, secaggBits: 12,
            secaggRange: 0.25, out: "o", name: "n", headless: false, json: true)
        for key in RunOptions.Key.allCases {
            let value = try #require(all[key], "\(key)")
            var one = RunOptions()
            one[key] = value
            #expect(one[key] == value)
            #expect(Set(RunOptions.Key.allCases.filter { one[$0] != nil }) == [key])
            #expect(RunOptions().overriding(with: one) == one)
            #expect(all.overriding(with: one) == all)
        }
        #expect(RunOptions().overriding(with: all) == all)
        #expect(throws: Never.self) { try all.validate() }
        #expect(RunOptions.Key.allCases.count == 36)
        #expect(RunOptions.Key.closest(to: "LEARNING_RATE") == .learningRate)
        #expect(RunOptions.Key.closest(to: "noiseSeed") == .noiseSeed)
        #expect(RunOptions.Key.closest(to: "epsilion") == .epsilon)
    }

    @Test("validate checks each set option as the file does")
    func validate() {
        #expect(throws: RunOptions.InvalidOption(key: .batchSize, problem: "must be at least 1, got 0")) {
            try RunOptions(batchSize: 0).validate()
        }
        #expect(throws: RunOptions.InvalidOption(key: .featureClip, problem: "must be a positive number of standard deviations, got 0.0")) {
            try RunOptions(featureClip: 0).validate()
        }
        #expect(RunOptions.InvalidOption(key: .batchSize, problem: "x").description == "--batch-size x")
        #expect(throws: Never.self) { try RunOptions.defaults.validate() }
    }
}

extension RunFileError.Reason {
    var isWrongType: Bool {
        if case .wrongType = self { return true }
        return false
    }
}
