import Foundation
import Testing
@testable import RunConfiguration

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
    static let expected = RunOptions([
        .hospitals: .integer(4), .hospital: .strings(["grpcs://a.example.org:7443", "grpcs://[::1]:9000"]),
        .sampleRate: .number(0.5), .quorum: .integer(2), .deadline: .number(60),
        .strategy: .string("fedavg"), .rounds: .integer(10), .dataset: .string("wdbc"),
        .partition: .string("dirichlet:0.5"), .model: .string("mlp"), .localEpochs: .integer(2),
        .batchSize: .integer(32), .learningRate: .number(0.1), .momentum: .number(0), .seed: .seed(42),
        .dp: .string("off"), .epsilon: .number(3), .delta: .number(1e-5), .clientClip: .number(0.5),
        .adaptiveClip: .boolean(true), .noiseSeed: .seed(0), .headless: .boolean(true),
        .json: .boolean(false)])

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
        #expect(try! RunFile.parse("hospital = \"grpcs://h:1\"", format: .toml, path: "x")[.hospital] == .strings(["grpcs://h:1"]))
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
        let file = RunOptions([.rounds: .integer(10), .dataset: .string("wdbc"), .seed: .seed(3), .dp: .string("sample")])
        let commandLine = RunOptions([.rounds: .integer(5), .seed: .seed(0), .dp: .string("off"), .headless: .boolean(true)])
        let merged = file.overriding(with: commandLine)
        #expect(merged == RunOptions([.rounds: .integer(5), .dataset: .string("wdbc"), .seed: .seed(0), .dp: .string("off"), .headless: .boolean(true)]))
        #expect(file.overriding(with: RunOptions()) == file)
        #expect(RunOptions().overriding(with: file) == file)
    }

    @Test("every key reads and writes its own property")
    func keys() throws {
        let all = RunOptions([
            .hospitals: .integer(1), .hospital: .strings(["grpcs://h:1"]), .certs: .string("c"),
            .perRound: .integer(2), .sampleRate: .number(0.3), .quorum: .integer(4), .deadline: .number(5),
            .strategy: .string("s"), .rounds: .integer(6), .dataset: .string("d"), .partition: .string("iid"),
            .testFraction: .number(0.7), .centralHoldout: .number(0.21), .featureClip: .number(4.5),
            .model: .string("m"), .localEpochs: .integer(8), .batchSize: .integer(9),
            .learningRate: .number(0.11), .momentum: .number(0.12), .seed: .seed(13),
            .adversarial: .string("pgd:0.1:5"), .adversarialRatio: .number(0.4), .dp: .string("both"),
            .epsilon: .number(14), .delta: .number(0.015), .noise: .number(16), .clip: .number(17),
            .clientNoise: .number(18), .clientClip: .number(19), .adaptiveClip: .boolean(true),
            .noiseSeed: .seed(20), .secureAggregation: .boolean(true), .secaggBits: .integer(12),
            .secaggRange: .number(0.25), .maxUpdateNorm: .number(7), .secaggPhaseTimeout: .number(9), .out: .string("o"), .name: .string("n"),
            .federatedDropout: .number(0.6),
            .headless: .boolean(false), .json: .boolean(true)])
        for key in RunOption.all {
            let value = try #require(all[key], "\(key)")
            var one = RunOptions()
            one[key] = value
            #expect(one[key] == value)
            #expect(Set(RunOption.all.filter { one[$0] != nil }) == [key])
            #expect(RunOptions().overriding(with: one) == one)
            #expect(all.overriding(with: one) == all)
        }
        #expect(RunOptions().overriding(with: all) == all)
        #expect(throws: Never.self) { try all.validate() }
        #expect(RunOption.all.count == 41)
        #expect(RunOption.closest(to: "LEARNING_RATE") == .learningRate)
        #expect(RunOption.closest(to: "noiseSeed") == .noiseSeed)
        #expect(RunOption.closest(to: "epsilion") == .epsilon)
    }

    @Test("validate checks each set option as the file does")
    func validate() {
        #expect(throws: RunOptions.InvalidOption(option: .batchSize, problem: "must be at least 1, got 0")) {
            try RunOptions([.batchSize: .integer(0)]).validate()
        }
        #expect(throws: RunOptions.InvalidOption(option: .featureClip, problem: "must be a positive number of standard deviations, got 0.0")) {
            try RunOptions([.featureClip: .number(0)]).validate()
        }
        #expect(RunOptions.InvalidOption(option: .batchSize, problem: "x").description == "--batch-size x")
        #expect(throws: Never.self) { try RunOptions.defaults.validate() }
    }
}

extension RunFileError.Reason {
    var isWrongType: Bool {
        if case .wrongType = self { return true }
        return false
    }
}
