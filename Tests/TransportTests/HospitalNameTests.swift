import Testing
@testable import Transport

@Suite("Hospital names and host names")
struct HospitalNameTests {
    @Test("valid hospital names pass; each invalid one is refused with its reason")
    func hospitalNames() {
        for name in ["alice", "Bob", "st-mary.north", "h_1", "9lives", String(repeating: "a", count: 63)] {
            #expect(HospitalName.problem(with: name) == nil, "\(name)")
        }
        let refused: [(String, String)] = [
            ("", "is empty"),
            ("console", "is reserved"), ("Console", "is reserved"), ("CA", "is reserved"),
            (".", "must start with a letter or a digit"), ("..", "must start with a letter or a digit"),
            ("-rf", "must start with a letter or a digit"), (".hidden", "must start with a letter or a digit"),
            ("a/b", "contains \"/\""), ("al ice", "contains \" \""), ("zoë", "contains \"ë\""),
            (String(repeating: "a", count: 64), "is longer than 63 characters"),
        ]
        for (name, reason) in refused {
            let problem = HospitalName.problem(with: name)
            #expect(problem?.hasPrefix(reason) == true, "\(name): \(problem ?? "accepted")")
        }
    }

    @Test("host names: IPv4, IPv6 (brackets dropped) and DNS names parse; others are refused")
    func hostNames() throws {
        #expect(try HostName(parsing: "10.0.0.5") == .ipAddress(bytes: [10, 0, 0, 5], text: "10.0.0.5"))
        #expect(try HostName(parsing: "[::1]") == .ipAddress(bytes: [UInt8](repeating: 0, count: 15) + [1], text: "::1"))
        #expect(try HostName(parsing: "bob.example.org") == .dns("bob.example.org"))
        for bad in ["", "bob..org", "-bob.org", "bob_1.org", "*.example.org", "bob.org.", "10.0.0.5:80"] {
            #expect(throws: HostNameError.self, "\(bad)") { try HostName(parsing: bad) }
        }
    }
}
