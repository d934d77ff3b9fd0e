/// A model's weights as a `.safetensors` file: PyTorch-style tensor names (`conv1.weight`) and
/// shapes, so `safetensors.torch.load_file` gives a state dict for the equivalent PyTorch module,
/// plus fedtop's metadata.
///
/// Metadata keys: `format` = `pt`; `fedtop.model` (the ``ModelZoo`` kind); `fedtop.input_shape` and
/// `fedtop.output_shape` (comma-separated); `fedtop.parameters` (the count); `fedtop.round` when the
/// weights come from a federated round. Loading checks the kind and every tensor's presence and
/// shape, and every error names the file.
extension Sequential {
    /// Metadata key of the model kind.
    public static let kindKey = "fedtop.model"
    /// Metadata key of the federated round the weights come from.
    public static let roundKey = "fedtop.round"

    /// The weights and metadata as a safetensors value.
    public func safeTensors(round: Int? = nil, metadata extra: [String: String] = [:]) -> SafeTensors {
        var metadata = extra
        metadata["format"] = "pt"
        metadata[Sequential.kindKey] = kind
        metadata["fedtop.input_shape"] = inputShape.map(String.init).joined(separator: ",")
        metadata["fedtop.output_shape"] = outputShape.map(String.init).joined(separator: ",")
        metadata["fedtop.parameters"] = String(parameterCount)
        if let round { metadata[Sequential.roundKey] = String(round) }
        return SafeTensors(tensors: namedParameters, metadata: metadata)
    }

    /// Writes the weights to `path` atomically and durably (temporary file, fsync, rename).
    public func save(to path: String, round: Int? = nil, metadata: [String: String] = [:]) throws {
        try safeTensors(round: round, metadata: metadata).write(to: path)
    }

    /// Replaces the parameters with those in the safetensors file at `path`, and returns its metadata.
    /// - Throws: ``SafeTensorsError`` for a malformed file; ``ModelError/inFile(path:_:)`` when the
    ///   file is well formed but not weights for this model (kind, a missing tensor, a shape).
    @discardableResult
    public mutating func load(from path: String) throws -> [String: String] {
        let file = try SafeTensors(contentsOf: path)
        do {
            if let found = file.metadata[Sequential.kindKey], found != kind {
                throw ModelError.modelKind(expected: kind, found: found)
            }
            var named: [String: Tensor] = [:]
            for (name, tensor) in file.tensors { named[name] = tensor }
            try setParameters(named: named)
        } catch let error as ModelError {
            throw ModelError.inFile(path: path, error)
        }
        return file.metadata
    }
}
