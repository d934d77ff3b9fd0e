import TensorCore

extension Checkpoint {
    /// The model this checkpoint holds, rebuilt from its own metadata (`fedtop.model`,
    /// `fedtop.input_shape`, `fedtop.output_shape`; the MLP's width from `fc1.weight`) and restored
    /// from its tensors — for whoever has the checkpoint but not the run's options (`fedtop serve`).
    /// - Throws: ``CheckpointError/modelMismatch(path:reason:)`` when the metadata does not name a zoo
    ///   model with positive shapes, or the tensors do not fit it.
    public func makeModel() throws(CheckpointError) -> Sequential {
        func shape(_ key: String) throws(CheckpointError) -> [Int] {
            guard let text = metadata[key] else { throw .modelMismatch(path: path, reason: "no \(key) in its metadata") }
            let dims = text.split(separator: ",").map { Int($0) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) > 0 && ($0 ?? 0) <= 1 << 24 }) else {
                throw .modelMismatch(path: path, reason: "\(key) \"\(text)\" is not a list of positive sizes")
            }
            return dims.map { $0! }
        }
        guard let kind = metadata[Sequential.kindKey] else { throw .modelMismatch(path: path, reason: "no \(Sequential.kindKey) in its metadata") }
        let input = try shape("fedtop.input_shape"), output = try shape("fedtop.output_shape")
        guard output.count == 1 else { throw .modelMismatch(path: path, reason: "fedtop.output_shape \(output) is not one class count") }
        let hidden = min(max(tensors["fc1.weight"]?.shape.first ?? 64, 1), 1 << 16)
        var model: Sequential
        do { model = try ModelZoo.make(kind, inputShape: input, classes: output[0], seed: 0, hidden: hidden) } catch {
            throw .modelMismatch(path: path, reason: "\(error)")
        }
        try restore(into: &model)
        return model
    }
}
