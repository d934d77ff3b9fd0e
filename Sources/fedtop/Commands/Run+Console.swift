import ArgumentParser
import Federation
import Foundation
import RunConfiguration

extension Run {
    /// The console when there is a terminal and `--headless` was not asked for; else line output,
    /// with a note on stderr when the console was wanted but there is no terminal.
    func runWatched(_ setup: FederationSetup) throws -> RunOutcome {
        let headless = setup.plan.options.flag(.headless)
        if headless { return try setup.runHeadless() }
        guard ConsoleOptions.hasTerminal else {
            FileHandle.standardError.write(Data("fedtop: no terminal (stdin or stdout is not a tty): line output instead of the console\n".utf8))
            return try setup.runHeadless()
        }
        return try setup.runConsole(console, record: record)
    }

    func validateRecording() throws {
        guard let record else { return }
        let parent = URL(fileURLWithPath: record).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--record \(record): the folder \(parent) does not exist")
        }
        guard record.hasSuffix(".cast") else { throw ValidationError("--record \(record): the file must end in .cast (asciicast v2)") }
    }
}
