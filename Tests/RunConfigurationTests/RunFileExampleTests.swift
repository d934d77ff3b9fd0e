import Testing
@testable import RunConfiguration

@Suite("fedtop init's example, from the option table")
struct RunFileExampleTests {
    @Test("the example fedtop init writes loads back as the defaults, in both formats")
    func exampleLoads() throws {
        for format in RunFile.Format.allCases {
            let text = RunFile.example(format: format)
            #expect(try RunFile.parse(text, format: format, path: "example") == RunOptions.defaults)
            // Every key is in it, with a comment; uncommented, every key loads.
            for key in RunOption.all {
                let separator = format == .toml ? " = " : ": "
                #expect(text.contains("\n\(key.name)\(separator)") || text.contains("\n# \(key.name)\(separator)"),
                        "\(key) missing from the \(format) example")
            }
            let everything = try RunFile.parse(uncommented(text), format: format, path: "example")
            #expect(RunOption.all.allSatisfy { everything[$0] != nil })
        }
        #expect(try RunFile.parse(uncommented(RunFile.example(format: .toml)), format: .toml, path: "x")
                == RunFile.parse(uncommented(RunFile.example(format: .yaml)), format: .yaml, path: "x"))
    }

    /// `text` with each commented-out key line made active.
    func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let body = line.dropFirst(2)
            let isKeyLine = RunOption.all.contains {
                body.hasPrefix($0.name + " = ") || body.hasPrefix($0.name + ": ")
            }
            return line.hasPrefix("# ") && isKeyLine ? String(body) : String(line)
        }.joined(separator: "\n")
    }

    @Test("each option is declared once: its default, help and check reach the file, run.json and --help")
    func table() throws {
        #expect(Set(RunOption.all.map(\.name)).count == RunOption.all.count)
        for option in RunOption.all {
            let sample = try #require(option.defaultValue ?? option.example, "\(option)")
            #expect(option.problem(with: sample) == nil, "\(option): \(sample)")
            #expect(RunOptionArguments.help().contains(option.flag), "\(option) missing from --help")
            if let value = option.defaultValue, option.kind != .boolean {
                #expect(RunOptionArguments.help().contains("(default: \(value.plain))"))
            }
        }
        // Defaults read as their text says, in the example and in --help (not 0.05000000074505806).
        #expect(RunFile.example(format: .toml).contains("\n# learning-rate = 0.05 ") && RunFile.example(format: .toml).contains("\nmomentum = 0.9 "))
        #expect(RunOptionArguments.help().contains("(default: 0.9)") && RunOptionArguments.help().contains("(default: 0.05; 1.0 for tinycnn"))
        #expect(RunOption.localEpochs.jsonKey == "localEpochs" && RunOption.maxUpdateNorm.jsonKey == "maxUpdateNorm")
    }
}
