import TensorCore

/// The engine saves through the store: signed, atomic, optionally encrypted.
extension CheckpointStore: RoundCheckpointing {
    public func write(model: Sequential, round: Int, serverState: [String: Tensor],
                      metadata: [String: String]) throws -> String {
        try save(model, round: round, serverState: serverState.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                 metadata: metadata)
        return checkpointPath
    }
}
