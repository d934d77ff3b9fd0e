import TensorCore

/// The engine saves through the store: signed, atomic, optionally encrypted.
extension CheckpointStore: RoundCheckpointing {
    public func write(model: Sequential, round: Int, metadata: [String: String]) throws -> String {
        try save(model, round: round, metadata: metadata)
        return checkpointPath
    }
}
