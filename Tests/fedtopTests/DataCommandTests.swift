import Foundation
import Testing

/// `fedtop data check|example`, and `fedtop hospital --schema` refusing a table below its k.
@Suite("fedtop data and a hospital's k")
struct DataCommandTests {
    @Test("example → check (not 5-anonymous, exit 3) → --generalise --out (exit 0) → the generalised table checks 5-anonymous")
    func checkAndGeneralise() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let example = try CommandRunner.run(["data", "example", dir])
        #expect(example.status == 0, "\(example.stderr)")
        #expect(try CommandRunner.run(["data", "example", dir]).status != 0, "existing files were overwritten")
        let csv = dir + "/patients.csv", schema = dir + "/patients.schema"
        let before = try CommandRunner.run(["data", "check", csv, "--schema", schema, "--k", "5"])
        #expect(before.status == 3, "\(before.stdout) \(before.stderr)")
        #expect(before.stdout.contains("NOT 5-anonymous") && before.stdout.contains("600 of 600 records in classes below 5"))
        #expect(before.stdout.contains("never decoded: patient_id, name (identifiers), diagnosis (sensitive)"))
        let generalised = try CommandRunner.run(["data", "check", csv, "--schema", schema, "--k", "5", "--generalise", "--out", dir + "/g.csv"])
        #expect(generalised.status == 0, "\(generalised.stdout) \(generalised.stderr)")
        #expect(generalised.stdout.contains("generalised: 5-anonymous") && generalised.stdout.contains("precision"))
        let written = try String(contentsOfFile: dir + "/g.csv", encoding: .utf8)
        #expect(!written.contains("P-1") && !written.contains("heart failure") && written.hasPrefix("age,sex,zip,admitted,"))
        let after = try CommandRunner.run(["data", "check", dir + "/g.csv", "--schema", schema, "--k", "5"])
        #expect(after.status == 0 && after.stdout.contains("as it is: 5-anonymous"), "\(after.stdout) \(after.stderr)")
        // A hospital refuses the raw table, naming k and the fix, before it listens.
        let refused = try CommandRunner.run(["hospital", "--name", "alice", "--insecure", "--listen", "127.0.0.1:0",
                                             "--dataset", "csv:" + csv, "--schema", schema, "--k", "5"], directory: dir)
        #expect(refused.status == 2 && refused.stderr.contains("is not 5-anonymous") && refused.stderr.contains("--generalise"),
                "\(refused.status) \(refused.stderr)")
        let noSchema = try CommandRunner.run(["hospital", "--name", "alice", "--insecure", "--listen", "127.0.0.1:0", "--dataset", "csv:" + csv,
                                              "--k", "5"], directory: dir)
        #expect(noSchema.status == 2 && noSchema.stderr.contains("need --schema"), "\(noSchema.stderr)")
        for bad in [["data", "check", csv, "--schema", schema, "--k", "1"], ["data", "check", csv, "--schema", dir + "/none"],
                    ["data", "check", csv, "--schema", schema, "--out", dir + "/x.csv"]] {
            let r = try CommandRunner.run(bad)
            #expect(r.status == 2, "\(bad): \(r.status) \(r.stderr)")
        }
    }
}
