import Foundation
import Testing

@Suite("fedtop bench transport")
struct BenchTransportTests {
    @Test("bench transport --json runs both federations and the transfer, and reports every number with its bound")
    func quickJSON() throws {
        let r = try CommandRunner.run(["bench", "transport", "--json", "--rounds", "3", "--images", "60", "--batch-size", "8",
                                       "--transfer-features", "2048", "--transfer-repeats", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["local_round_ms", "remote_round_ms", "transfer_wall_ms", "transfer_mb_per_s", "transfer_ms_per_round"] {
            let value = try #require(object[key] as? Double, "missing \(key)")
            #expect(value > 0, "\(key) = \(value)")
        }
        for key in ["difference_ms", "added_beyond_bytes_ms", "added_beyond_bytes_at_bound_rate_ms"] {
            #expect(object[key] as? Double != nil, "missing \(key)")
        }
        let parameters = try #require(object["parameters"] as? Int)
        #expect(object["bytes_per_round"] as? Int == 3 * 3 * 4 * parameters)
        #expect(object["transfer_bytes"] as? Int == 4 * (object["transfer_parameters"] as? Int ?? 0))
        #expect(object["remote_min_aggregated"] as? Int == 3, "a remote hospital missed a round")
        #expect(object["bound_added_ms"] as? Double == 20)
        #expect(object["bound_mb_per_s"] as? Double == 300)
    }

    @Test("bench transport with too few rounds exits with status 2 and names the option")
    func badRounds() throws {
        let r = try CommandRunner.run(["bench", "transport", "--rounds", "2"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--rounds"))
    }
}
