import Federation
import Foundation
import Testing

/// A run's secrets live outside its folder (``RunKeys``), and a start that fails leaves nothing.
@Suite("Run keys outside the run folder; a failed start creates nothing", .serialized)
struct RunKeysTests {
    @Test("a finished run holds no private key; replacing its public key (to re-sign an edited model) makes --resume refuse")
    func signingKeyOutsideRun() async throws {
        let dir = scratchDirectory("run-keys") + "/run"
        let first = try await CommandRunner.runOffPool(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--epsilon", "50", "--out", dir])
        #expect(first.status == 0, "\(first.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!files.contains("signing.key") && files.contains("signing.pub"), "\(files)")
        let fingerprint = try CheckpointSigner.runFingerprint(runDirectory: dir)
        #expect(FileManager.default.fileExists(atPath: CommandRunner.testKeyStore + "/\(fingerprint)/signing.key"))
        // The attacker's own key in place of the run's: the model could be re-signed with it, but the run names a key
        // the store does not hold.
        let forged = (0..<32).map { _ in UInt8.random(in: 0...255) }
        try Data(forged).write(to: URL(fileURLWithPath: dir + "/signing.pub"))
        let resumed = try await CommandRunner.runOffPool(["run", "--headless", "--resume", dir, "--rounds", "2"])
        #expect(resumed.status != 0, "\(resumed.stdout)")
        #expect(resumed.stderr.contains("signing"), "\(resumed.stderr)")
    }

    @Test("a start that fails (--encrypt-checkpoints without its key) leaves no run folder and no key; the same --out then works")
    func failedStartCreatesNothing() async throws {
        let scratch = scratchDirectory("run-failed-start")
        let dir = scratch + "/run", store = scratch + "/keys"
        let failed = try await CommandRunner.runOffPool(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--encrypt-checkpoints", "--out", dir],
                                           environment: ["FEDTOP_CHECKPOINT_KEY": "", "FEDTOP_KEYS": store])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("FEDTOP_CHECKPOINT_KEY"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []).isEmpty)
        let again = try await CommandRunner.runOffPool(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--epsilon", "50", "--out", dir],
                                          environment: ["FEDTOP_KEYS": store])
        #expect(again.status == 0, "\(again.stderr)")
    }
}
