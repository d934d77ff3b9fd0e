import Foundation
import Testing
@testable import fedtop

@Suite("fedtop certs init")
struct CertsCommandTests {
    @Test("writes the parties' folders, says where each goes, and refuses to run again over them (exit 2)")
    func writesAndRefuses() throws {
        let out = try temporaryDirectory().appendingPathComponent("federation").path
        let first = try CommandRunner.run(["certs", "init", "--out", out, "--hospitals", "alice,bob",
                                           "--host", "alice=10.0.0.5", "--host", "bob=bob.example.org", "--days", "10"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.isEmpty)
        #expect(first.stdout.hasPrefix("fedtop: wrote a new federation in \(out): CA \"fedtop federation CA "))
        for line in ["  \(out)/ca/       ca.pem ca.key\n",
                     "  \(out)/console/  ca.pem console.pem console.key model-signing.key\n",
                     "  \(out)/alice/    ca.pem alice.pem alice.key model-signing.pub\n",
                     "fedtop hospital --name bob --certs \(out)/bob\n",
                     "alice.pem names: DNS alice, DNS localhost, IP 127.0.0.1, IP ::1, IP 10.0.0.5\n",
                     "bob.pem names: DNS bob, DNS localhost, IP 127.0.0.1, IP ::1, DNS bob.example.org\n"] {
            #expect(first.stdout.contains(line), "missing: \(line)")
        }
        let manager = FileManager.default
        #expect(try manager.contentsOfDirectory(atPath: out).sorted() == ["alice", "bob", "ca", "console"])
        for key in ["ca/ca.key", "console/console.key", "console/model-signing.key", "alice/alice.key", "bob/bob.key"] {
            let bits = (try manager.attributesOfItem(atPath: "\(out)/\(key)")[.posixPermissions] as! NSNumber).intValue
            #expect(bits == 0o600, "\(key)")
        }
        let keyBefore = try Data(contentsOf: URL(fileURLWithPath: "\(out)/alice/alice.key"))

        let again = try CommandRunner.run(["certs", "init", "--out", out, "--hospitals", "alice,bob"])
        #expect(again.status == 2)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr == "fedtop: \(out)/ca already exists; provisioning never replaces keys or certificates "
                + "(remove it, or choose another --out)\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/alice/alice.key")) == keyBefore)
    }

    @Test("a bad or reserved hospital name, a host for no hospital and a bad validity exit 2 with the reason, writing nothing")
    func refusesBadArguments() throws {
        let out = try temporaryDirectory().appendingPathComponent("federation").path
        let cases: [([String], String)] = [
            (["--hospitals", "alice,console"], "fedtop: hospital name \"console\" is reserved (the console's folder)\n"),
            (["--hospitals", "alice,al ice"],
             "fedtop: hospital name \"al ice\" contains \" \"; use only letters A-Z a-z, digits, '.', '_' and '-'\n"),
            (["--hospitals", "alice,,bob"], "fedtop: hospital name \"\" is empty\n"),
            (["--hospitals", "alice,ALICE"],
             "fedtop: hospital ALICE is named twice in --hospitals (names are compared without regard to case)\n"),
            (["--hospitals", "alice", "--host", "dave=10.0.0.1"], "fedtop: --host dave=10.0.0.1: dave is not one of the --hospitals\n"),
            (["--hospitals", "alice", "--days", "0"], "fedtop: --days 0: a certificate's validity must be 1 to 3650 days\n"),
        ]
        for (arguments, message) in cases {
            let result = try CommandRunner.run(["certs", "init", "--out", out] + arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr == message, "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) wrote \(out)")
        }
    }
}
