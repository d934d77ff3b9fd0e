import Foundation
import Testing
import TensorCore

/// The one durable-file utility: files replaced atomically with the mode asked for (or the umask's),
/// created without ever replacing anything, and no temporary file left behind.
@Suite("POSIXFile: durable files for every module")
struct POSIXFileTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-posix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("replaceAtomically: exact mode when given, 0644 less the umask when not; no temporary left")
    func replaceModes() throws {
        let dir = try scratch()
        try POSIXFile.replaceAtomically(dir + "/a", with: Array("one".utf8), mode: 0o600)
        #expect(POSIXFile.mode(of: dir + "/a") == 0o600)
        let old = umask(0o077)
        defer { umask(old) }
        try POSIXFile.replaceAtomically(dir + "/b", with: Array("two".utf8))
        #expect(POSIXFile.mode(of: dir + "/b") == 0o600)   // 0644 less 077
        try POSIXFile.replaceAtomically(dir + "/b", with: Array("three".utf8))
        #expect(try POSIXFile.readAll(dir + "/b") == Array("three".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a", "b"])
    }

    @Test("createNew and createExclusive never replace a file (nor write through a link), and leave no temporary")
    func noClobber() throws {
        let dir = try scratch()
        #expect(try POSIXFile.createNew(Array("key".utf8), at: dir + "/k", mode: 0o600))
        #expect(try !POSIXFile.createNew(Array("other".utf8), at: dir + "/k", mode: 0o600))
        #expect(try POSIXFile.readAll(dir + "/k") == Array("key".utf8) && POSIXFile.mode(of: dir + "/k") == 0o600)
        #expect(try POSIXFile.createExclusive(Array("pem".utf8), at: dir + "/p", mode: 0o600))
        #expect(try !POSIXFile.createExclusive(Array("x".utf8), at: dir + "/p", mode: 0o600))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/target")
        #expect(try !POSIXFile.createExclusive(Array("x".utf8), at: dir + "/link", mode: 0o600))
        #expect(!FileManager.default.fileExists(atPath: dir + "/target"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["k", "link", "p"])
    }

    @Test("a missing file is told apart from other failures; a file over the limit is refused")
    func readErrors() throws {
        let dir = try scratch()
        do { _ = try POSIXFile.readWithMode(dir + "/none", limit: 10); Issue.record("read a missing file") } catch {
            #expect(error.isMissing)
        }
        try POSIXFile.replaceAtomically(dir + "/big", with: [UInt8](repeating: 1, count: 100))
        do { _ = try POSIXFile.readWithMode(dir + "/big", limit: 10); Issue.record("read past the limit") } catch {
            #expect(!error.isMissing && error.reason.contains("larger than 10"))
        }
    }
}
