import Foundation
import Testing
@testable import RunConfiguration

@Suite("the option table on the command line")
struct RunOptionArgumentsTests {
    @Test("values of every kind, --name=value, flags and repeated lists parse into the options a run file would set")
    func parses() throws {
        let options = try RunOptionArguments.parse([
            "--rounds", "5", "--learning-rate=0.1", "--seed", "18446744073709551615", "--dp", "client", "--headless",
            "--hospital", "grpcs://a:1", "--hospital=grpcs://b:2", "--rounds", "6",
        ])
        #expect(options == RunOptions([
            .rounds: .integer(6), .learningRate: .number(0.1), .seed: .seed(.max), .dp: .string("client"),
            .headless: .boolean(true), .hospital: .strings(["grpcs://a:1", "grpcs://b:2"]),
        ]))
        #expect(try RunOptionArguments.parse([]) == RunOptions())
    }

    @Test("each mistake is refused naming the option and what it takes", arguments: [
        (["--rounds", "ten"], "--rounds takes an integer, got 'ten'"),
        (["--rounds"], "--rounds needs a value (an integer)"),
        (["--rounds", "--headless"], "--rounds needs a value (an integer)"),
        (["--rounds", "0"], "--rounds must be at least 1, got 0"),
        (["--seed", "-1"], "--seed takes an integer ≥ 0, got '-1'"),
        (["--roundz", "3"], "unknown option '--roundz'; did you mean '--rounds'?"),
        (["--headless=yes"], "--headless is a flag; it takes no value"),
        (["wdbc"], "unexpected argument 'wdbc'"),
        (["--dp", "maybe"], "--dp must be one of sample, client, both, off, got \"maybe\""),
        (["--hospital", "https://a:1"], "--hospital must be addresses of the form grpcs://[NAME@]HOST:PORT, got \"https://a:1\""),
    ])
    func refuses(arguments: [String], message: String) {
        #expect(throws: UsageError(message)) { try RunOptionArguments.parse(arguments) }
    }

    @Test("a subset of the table (fedtop hospital's data options) refuses the others")
    func subset() throws {
        let shared: [RunOption] = [.dataset, .seed]
        #expect(try RunOptionArguments.parse(["--dataset", "wdbc"], options: shared)[.dataset] == .string("wdbc"))
        #expect(throws: UsageError("unknown option '--rounds'")) { try RunOptionArguments.parse(["--rounds", "3"], options: shared) }
        #expect(!RunOptionArguments.help(shared).contains("--rounds") && RunOptionArguments.help(shared).contains("--dataset"))
    }

    @Test("--help states every default, the model-dependent ones with the model they depend on")
    func helpDefaults() {
        let help = RunOptionArguments.help(RunOption.all).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("(default: 64; 256 for tinycnn under DP-SGD)"), "\(help)")
        #expect(help.contains("(default: 0.05; 1.0 for tinycnn under DP-SGD)"))
        #expect(help.contains("(default: 1.0; 0.4 for tinycnn under DP-SGD)"))
        #expect(help.contains("(default: 30)"))
    }

    @Test("run.json keeps every option set under its camel-case key and reads back the same")
    func runJSON() throws {
        let options = RunOptions([.localEpochs: .integer(2), .noiseSeed: .seed(7), .hospital: .strings(["grpcs://a:1"]),
                                  .adaptiveClip: .boolean(true), .learningRate: .number(0.05), .dataset: .string("wdbc")])
        let data = try JSONEncoder().encode(options)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"localEpochs\":2") && text.contains("\"noiseSeed\":7"))
        #expect(try JSONDecoder().decode(RunOptions.self, from: data) == options)
        // A run.json written before the table (a Float learning rate widened to Double) still loads.
        let old = Data(#"{"learningRate":0.05000000074505806,"rounds":3,"headless":true}"#.utf8)
        #expect(try JSONDecoder().decode(RunOptions.self, from: old)[.rounds] == .integer(3))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunOptions.self, from: Data(#"{"rounds":0}"#.utf8)) }
    }
}
