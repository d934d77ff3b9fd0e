import Foundation
import Testing
@testable import Serving
import TensorCore

@Suite("The server's hold on its state folder")
struct ServeStateLockTests {
    @Test("a second server on the same folder is refused while the first holds it, and accepted once it lets go")
    func exclusive() throws {
        let s = try ServingScratch(); defer { s.remove() }
        chmod(s.root, 0o700)
        let first = try ServeStateLock.acquire(directory: s.root)
        #expect(throws: ServeStateError.busy(path: s.root)) { try ServeStateLock.acquire(directory: s.root) }
        first.release()
        let second = try ServeStateLock.acquire(directory: s.root)
        second.release()
        #expect(POSIXFile.mode(of: s.path("lock")) == 0o600)
    }

    @Test("a folder open to the group or others is refused at start, naming it and the fix", arguments: [0o750, 0o705, 0o777] as [UInt32])
    func exposed(mode: UInt32) throws {
        let s = try ServingScratch(); defer { s.remove() }
        chmod(s.root, mode_t(mode))
        #expect(throws: ServeStateError.exposed(path: s.root, mode: mode)) { try ServeStateLock.acquire(directory: s.root) }
        #expect(!FileManager.default.fileExists(atPath: s.path("lock")))
        #expect("\(ServeStateError.exposed(path: s.root, mode: mode))".contains("chmod 700 \(s.root)"))
    }
}
