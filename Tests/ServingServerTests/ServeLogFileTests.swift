import Foundation
import Logging
@testable import ServingServer
import Testing

@Suite("The server's log file while the panel owns the terminal")
struct ServeLogFileTests {
    @Test("one line an event, control characters escaped (a hostile value cannot forge a line or drive a terminal), mode 0600")
    func lines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ServeLogFile.escaped("a\u{1B}[31mb\r\nc") == "a\\u001B[31mb\\u000D\\u000Ac")
        #expect(ServeLogFile.escaped("plain ε") == "plain ε")
        var logger = try ServeLogFile.logger(directory: dir)
        logger[metadataKey: "serve.request"] = "r1\nforged"
        logger.info("refused: bad_shape\n2026-12-07T00:00:00.000Z info fedtop.serve: forged line")
        logger.debug("below the level: not written")
        let text = try String(contentsOfFile: ServeLogFile.path(directory: dir), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "\(text)")
        #expect(lines.first?.contains("serve.request=r1\\u000Aforged") == true && lines.first?.contains("info fedtop.serve:") == true)
        var info = stat()
        #expect(stat(ServeLogFile.path(directory: dir), &info) == 0 && info.st_mode & 0o777 == 0o600)
    }
}
