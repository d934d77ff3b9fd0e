import Foundation
@testable import Federation
import TensorCore

/// A fresh, empty run directory under the system temporary directory; tests remove it.
func makeRunDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-checkpoints-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A fixed AES-256 key, in the two spellings `FEDTOP_CHECKPOINT_KEY` accepts.
enum TestKey {
    static let bytes = (0..<32).map { UInt8($0 * 7 + 3) }
    static let hex = bytes.map { String(format: "%02x", $0) }.joined()
    static let base64 = Data(bytes).base64EncodedString()
}

/// A run directory with a new key, and a store for it.
struct TestRun {
    let directory: String
    let signer: CheckpointSigner
    let store: CheckpointStore

    init(encrypted: Bool = false) throws {
        directory = try makeRunDirectory()
        signer = try CheckpointSigner.create(inRunDirectory: directory)
        store = CheckpointStore(directory: directory, signer: signer,
                                encryptionKey: encrypted ? try CheckpointEncryption(key: TestKey.bytes) : nil)
    }

    /// A small model whose parameters depend on `round`, so rounds are told apart.
    static func model(round: Int) throws -> Sequential {
        try ModelZoo.mlp(inputShape: [4], hidden: 3, classes: 2, seed: UInt64(100 + round))
    }

    /// FedAdam-like server state for `round`.
    static func serverState(round: Int) -> [(name: String, tensor: Tensor)] {
        [("server.m", Tensor([Float(round), 1, 2])), ("server.v", Tensor(shape: [1, 2], scalars: [Float(round) / 2, 3]))]
    }

    /// Saves the model and server state of `round`.
    func save(round: Int) throws {
        try store.save(Self.model(round: round), round: round, serverState: Self.serverState(round: round),
                       metadata: ["fedtop.strategy": "fedadam"])
    }

    /// The names in the run directory, sorted.
    var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    func write(_ bytes: [UInt8], to name: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path(name))) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
