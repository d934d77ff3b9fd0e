import Foundation
import Testing
@testable import Federation
import TensorCore

/// Crashes simulated by stopping the write protocol between its steps: after staging (temporary
/// files written and flushed) or after any commit step, each of which is durable when it returns.
@Suite("Checkpoint write protocol")
struct CheckpointWriteProtocolTests {
    /// Where a save is killed: after staging only (`nil`), or after a commit step (the last one
    /// completes the save).
    static let killPoints: [CommitStep?] = [nil] + CommitStep.allCases

    /// Starts a save of `round` and stops it at `kill`.
    func save(_ run: TestRun, round: Int, killedAfter kill: CommitStep?) throws {
        let model = try TestRun.model(round: round)
        let staged = try run.store.stage(round: round, tensors: model.namedParameters + TestRun.serverState(round: round),
                                         metadata: ["fedtop.model": model.kind])
        if let kill { try run.store.commit(staged, through: kill) }
    }

    /// Checks that the run loads `round`, with that round's parameters and server state.
    func expectLoads(_ run: TestRun, round: Int, _ context: String) throws {
        var model = try TestRun.model(round: 0)
        let checkpoint = try run.store.loadLatest(into: &model)
        #expect(checkpoint.round == round, "\(context)")
        #expect(model.parameters == (try TestRun.model(round: round)).parameters, "\(context)")
        #expect(checkpoint.tensors["server.m"] == Tensor([Float(round), 1, 2]), "\(context)")
    }

    func temporaries(_ run: TestRun) -> [String] { run.files.filter { $0.hasSuffix(".tmp") } }

    @Test("a kill at any point of a save leaves round r or r−1 verified and loadable, and the resumed save completes",
          arguments: [false, true])
    func killAtEachStep(encrypted: Bool) throws {
        for kill in Self.killPoints {
            let run = try TestRun(encrypted: encrypted)
            defer { run.remove() }
            try run.save(round: 1)
            try run.save(round: 2)
            try save(run, round: 3, killedAfter: kill)
            let context = "killed after \(kill.map { "\($0)" } ?? "staging"), encrypted \(encrypted)"
            try expectLoads(run, round: kill == .installSignature ? 3 : 2, context)
            // Staged files not yet installed are left behind, as after a real kill.
            let leftBehind = switch kill { case .installSignature?: 0; case .installCheckpoint?: 1; default: 2 }
            #expect(temporaries(run).count == leftBehind, "\(context)")

            // The resumed run redoes the round; then the next one. The protocol works from any state.
            try run.save(round: 3)
            try expectLoads(run, round: 3, context)
            #expect(temporaries(run).isEmpty, "\(context)")
            try run.save(round: 4)
            try expectLoads(run, round: 4, context)
            let previous = encrypted ? "model.prev.safetensors.enc" : "model.prev.safetensors"
            #expect(run.files.contains(previous) && run.files.contains(previous + ".sig"), "\(context)")
        }
    }

    @Test("two kills in a row (crash, resume, crash again) still leave the last completed round loadable")
    func killTwice() throws {
        for first in Self.killPoints {
            for second in Self.killPoints {
                let run = try TestRun()
                defer { run.remove() }
                try run.save(round: 1)
                try run.save(round: 2)
                try save(run, round: 3, killedAfter: first)
                let resumed = try run.store.loadLatest().round
                try save(run, round: resumed + 1, killedAfter: second)
                let expected = second == .installSignature ? resumed + 1 : resumed
                try expectLoads(run, round: expected, "killed after \(String(describing: first)), then \(String(describing: second))")
            }
        }
    }

    @Test("a kill during a run's first save leaves no checkpoint, or a lone unsigned file that is refused, never loaded")
    func killDuringFirstSave() throws {
        for kill in Self.killPoints {
            let run = try TestRun()
            defer { run.remove() }
            try save(run, round: 1, killedAfter: kill)
            switch kill {
            case .installSignature?:
                try expectLoads(run, round: 1, "complete")
            case .installCheckpoint?:
                #expect(throws: CheckpointError.missingSignature(path: run.path("model.safetensors"),
                                                                 signature: run.path("model.safetensors.sig"))) {
                    try run.store.loadLatest()
                }
            default:
                #expect(throws: CheckpointError.noCheckpoint(directory: run.directory)) { try run.store.loadLatest() }
            }
            // A new save over whatever was left completes normally.
            try run.save(round: 1)
            try expectLoads(run, round: 1, "after \(String(describing: kill))")
        }
    }

    @Test("staging writes only temporary files, which loading ignores and the next staging removes")
    func stagingLeavesOnlyTemporaries() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let before = run.files
        try save(run, round: 2, killedAfter: nil)
        let first = temporaries(run)
        #expect(first.count == 2)
        try save(run, round: 2, killedAfter: nil)  // staging again first removes the earlier leftovers
        #expect(temporaries(run).count == 2 && Set(temporaries(run)).isDisjoint(with: first))
        #expect(run.files.filter { !$0.hasSuffix(".tmp") } == before)
        try expectLoads(run, round: 1, "staged only")
        try run.save(round: 2)
        #expect(temporaries(run).isEmpty)
        try expectLoads(run, round: 2, "saved")
    }

    @Test("a commit refuses to move anything when the checkpoint already there does not verify")
    func commitOverTamperedCheckpoint() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        var bytes = try run.bytes("model.safetensors")
        bytes[10] ^= 0xFF
        try run.write(bytes, to: "model.safetensors")
        let filesBefore = run.files
        #expect(throws: CheckpointError.tampered(path: run.path("model.safetensors"),
                                                 signature: run.path("model.safetensors.sig"))) {
            try run.save(round: 2)
        }
        #expect(run.files == filesBefore)
        #expect(try run.bytes("model.safetensors") == bytes)
    }
}
