import Foundation
import Testing

@Suite("fedtop privacy")
struct PrivacyCommandTests {
    @Test("epsilon prints the reference ε for a single history and for mixed segments")
    func epsilon() throws {
        let r = try CommandRunner.run(["privacy", "epsilon", "--sample-rate", "0.01", "--noise", "4.0",
                                       "--steps", "10000", "--delta", "1e-5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("ε = 1.0354"))  // dp_accounting 0.6.0: 1.035490
        let j = try CommandRunner.run(["privacy", "epsilon", "--segments", "0.01:1.0:500;0.01:2.0:500",
                                       "--delta", "1e-5", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let eps = try #require(object["epsilon"] as? Double)
        #expect(abs(eps - 1.712239) < 1e-3 * 1.712239)
        #expect(object["accountant"] as? String == "rdp" && object["order"] as? Double != nil)
    }

    @Test("--accountant pld gives the tight ε, below RDP's for the same history")
    func pld() throws {
        let args = ["privacy", "epsilon", "--sample-rate", "0.01", "--noise", "4.0", "--steps", "10000", "--delta", "1e-5", "--json"]
        let tight = try CommandRunner.run(args + ["--accountant", "pld"]), loose = try CommandRunner.run(args)
        #expect(tight.status == 0, "\(tight.stderr)")
        let e = try #require((try JSONSerialization.jsonObject(with: Data(tight.stdout.utf8)) as? [String: Any])?["epsilon"] as? Double)
        let r = try #require((try JSONSerialization.jsonObject(with: Data(loose.stdout.utf8)) as? [String: Any])?["epsilon"] as? Double)
        #expect(abs(e - 0.946999) < 0.01 * 0.946999)  // dp_accounting 0.6.0 PLD
        #expect(e < r)
    }

    @Test("noise finds the σ that meets the target, and epsilon at that σ confirms it")
    func noise() throws {
        let r = try CommandRunner.run(["privacy", "noise", "--target-epsilon", "2", "--sample-rate", "0.004",
                                       "--steps", "15000", "--delta", "1e-5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let sigma = try #require(object["noise_multiplier"] as? Double)
        let check = try CommandRunner.run(["privacy", "epsilon", "--sample-rate", "0.004", "--noise", "\(sigma)",
                                           "--steps", "15000", "--delta", "1e-5", "--json"])
        let eps = try #require((try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["epsilon"] as? Double)
        #expect(eps <= 2 && eps > 1.99)
    }

    @Test("bad arguments give a one-line error naming the value, and exit 2",
          arguments: [["privacy", "epsilon", "--sample-rate", "1.5", "--noise", "1", "--steps", "10", "--delta", "1e-5"],
                      ["privacy", "epsilon", "--sample-rate", "0.1", "--noise", "-1", "--steps", "10", "--delta", "1e-5"],
                      ["privacy", "epsilon", "--sample-rate", "0.1", "--noise", "1", "--steps", "10", "--delta", "2"],
                      ["privacy", "epsilon", "--segments", "0.1:1", "--delta", "1e-5"],
                      ["privacy", "epsilon", "--noise", "1", "--delta", "1e-5"],
                      ["privacy", "noise", "--target-epsilon", "-1", "--sample-rate", "0.1", "--steps", "10", "--delta", "1e-5"],
                      ["privacy", "epsilon", "--sample-rate", "0.1", "--noise", "1", "--steps", "10", "--delta", "1e-5", "--accountant", "moments"]])
    func badArguments(arguments: [String]) throws {
        let r = try CommandRunner.run(arguments)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
