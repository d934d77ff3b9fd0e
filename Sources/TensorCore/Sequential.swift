/// A feed-forward model: layers applied in order, with every parameter in one flat Float32 vector.
///
/// Contract:
/// - `parameters` is a rank-1 tensor of ``parameterCount`` scalars; layer l's tensors occupy
///   `parameterRanges[l]`, each tensor in row-major order in PyTorch's layout. Federated updates,
///   clipping, secure aggregation and signing all work on this vector.
/// - `kind` names the architecture (``ModelZoo``); `namedParameters` gives PyTorch-style names
///   (`conv1.weight`), so weights exported as safetensors load into the equivalent PyTorch module.
/// - A value type: copies share the parameter storage until one is trained (copy-on-write).
public struct Sequential: Sendable {
    public let kind: String
    public let layers: [any Layer]
    /// The per-sample input shape, e.g. `[1, 28, 28]`.
    public let inputShape: [Int]
    /// The per-sample output shape (the logits), e.g. `[10]`.
    public let outputShape: [Int]
    /// Each layer's slice of the flat parameter vector.
    public let parameterRanges: [Range<Int>]
    /// All parameters, flat.
    public var parameters: Tensor

    public var parameterCount: Int { parameters.count }

    /// Builds the model, checks that every layer takes its predecessor's output shape, and
    /// initialises the parameters from `seed` (a stream per layer, so adding a layer does not shift
    /// the others' draws).
    public init(kind: String, inputShape: [Int], layers: [any Layer], seed: UInt64) throws(ModelError) {
        var shape = inputShape
        var ranges: [Range<Int>] = []
        var offset = 0
        for layer in layers {
            shape = try layer.outputShape(for: shape)
            ranges.append(offset..<(offset + layer.parameterCount))
            offset += layer.parameterCount
        }
        self.kind = kind
        self.layers = layers
        self.inputShape = inputShape
        self.outputShape = shape
        self.parameterRanges = ranges
        var flat = Tensor(shape: [offset])
        flat.withUnsafeMutableBufferPointer { p in
            for (l, layer) in layers.enumerated() where !ranges[l].isEmpty {
                var generator = SeededGenerator(seed: seed, stream: UInt64(l + 1))
                layer.initializeParameters(UnsafeMutableBufferPointer(rebasing: p[ranges[l]]), using: &generator)
            }
        }
        parameters = flat
    }

    /// The parameter tensors with their PyTorch-style names, in layout order (copies).
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        for (l, layer) in layers.enumerated() {
            var offset = parameterRanges[l].lowerBound
            for spec in layer.parameterSpecs {
                let slice = parameters.withUnsafeBufferPointer { Array($0[offset..<(offset + spec.count)]) }
                result.append((name: "\(layer.name).\(spec.name)", tensor: Tensor(shape: spec.shape, scalars: slice)))
                offset += spec.count
            }
        }
        return result
    }

    /// Every parameter tensor's name and shape, in layout order.
    public var parameterSpecs: [ParameterSpec] {
        layers.flatMap { layer in
            layer.parameterSpecs.map { ParameterSpec(name: "\(layer.name).\($0.name)", shape: $0.shape) }
        }
    }

    /// Replaces the parameters with a flat vector of the same length.
    public mutating func setParameters(_ flat: Tensor) throws(ModelError) {
        guard flat.count == parameterCount else {
            throw .parameterCount(expected: parameterCount, found: flat.count)
        }
        parameters = flat.reshaped([parameterCount])
    }

    /// Replaces the parameters with named tensors (from a safetensors file, say); every tensor the
    /// model needs must be there with its exact shape.
    public mutating func setParameters(named tensors: [String: Tensor]) throws(ModelError) {
        var flat = [Float]()
        flat.reserveCapacity(parameterCount)
        for spec in parameterSpecs {
            guard let t = tensors[spec.name] else { throw .missingTensor(spec.name) }
            guard t.shape == spec.shape else { throw .tensorShape(name: spec.name, expected: spec.shape, found: t.shape) }
            flat += t.scalars
        }
        parameters = Tensor([Float](flat))
    }

    /// One workspace per layer, for one thread.
    public func makeWorkspaces() -> [LayerWorkspace] { layers.map { _ in LayerWorkspace() } }

    /// The logits for a batch `[batch] + inputShape`, computed in chunks of `chunkSize` samples.
    public func logits(for inputs: Tensor, chunkSize: Int = 256) -> Tensor {
        precondition(Array(inputs.shape.dropFirst()) == inputShape,
                     "Sequential \(kind): input shape \(inputs.shape) does not match [batch] + \(inputShape)")
        let n = inputs.shape[0]
        let workspaces = makeWorkspaces()
        var parts: [Tensor] = []
        var start = 0
        while start < n {
            let end = min(n, start + chunkSize)
            let chunk = (start == 0 && end == n) ? inputs : inputs.slice(start..<end)
            parts.append(forward(chunk, workspaces: workspaces))
            start = end
        }
        if parts.isEmpty { return Tensor(shape: [0] + outputShape) }
        return parts.count == 1 ? parts[0] : Tensor.concatenating(parts)
    }

    /// The forward pass over one batch, keeping in `workspaces` what a backward pass needs.
    public func forward(_ inputs: Tensor, workspaces: [LayerWorkspace]) -> Tensor {
        parameters.withUnsafeBufferPointer { p in
            var x = inputs
            for (l, layer) in layers.enumerated() {
                x = layer.forward(x, parameters: UnsafeBufferPointer(rebasing: p[parameterRanges[l]]),
                                  workspace: workspaces[l])
            }
            return x
        }
    }
}

extension Sequential: CustomStringConvertible {
    public var description: String {
        "\(kind) \(inputShape) → \(outputShape), \(parameterCount) parameters:\n"
            + layers.map { "  " + $0.description }.joined(separator: "\n")
    }
}
