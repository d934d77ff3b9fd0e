/// Max pooling over `size`×`size` windows with stride `size` (no padding), per channel.
///
/// Input `[batch, C, H, W]`, output `[batch, C, H / size, W / size]` (rounded down, as PyTorch does).
/// The backward pass routes each output gradient to the input position that held the maximum (the
/// first one on ties).
public struct MaxPool2d: Layer {
    public let name: String
    public let size: Int

    public init(_ name: String, size: Int = 2) {
        precondition(size > 0, "MaxPool2d \(name): size must be positive")
        self.name = name
        self.size = size
    }

    public var description: String { "\(name): MaxPool2d(\(size)×\(size))" }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] {
        guard inputShape.count == 3, inputShape[1] >= size, inputShape[2] >= size else {
            throw .shapeMismatch(layer: name, inputShape: inputShape, expected: "[C, H, W] with H, W ≥ \(size)")
        }
        return [inputShape[0], inputShape[1] / size, inputShape[2] / size]
    }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        let planes = input.shape[0] * input.shape[1], h = input.shape[2], w = input.shape[3]
        let ho = h / size, wo = w / size
        let out = workspace.scratch(&workspace.output, shape: [input.shape[0], input.shape[1], ho, wo])
        if workspace.indices.count != planes * ho * wo {
            workspace.indices = [Int32](repeating: 0, count: planes * ho * wo)
        }
        let x = input.pointer, y = out.mutablePointer
        workspace.indices.withUnsafeMutableBufferPointer { idx in
            for p in 0..<planes {
                let plane = x + p * h * w
                for oh in 0..<ho {
                    for ow in 0..<wo {
                        var best = (oh * size) * w + ow * size
                        var bestValue = plane[best]
                        for i in 0..<size {
                            let rowStart = (oh * size + i) * w + ow * size
                            for j in 0..<size where plane[rowStart + j] > bestValue {
                                best = rowStart + j
                                bestValue = plane[best]
                            }
                        }
                        let o = (p * ho + oh) * wo + ow
                        y[o] = bestValue
                        idx[o] = Int32(best)
                    }
                }
            }
        }
        workspace.input = input
        return out
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        guard needsInputGradient else { return nil }
        let shape = workspace.input!.shape
        let planeSize = shape[2] * shape[3]
        let outPlane = (shape[2] / size) * (shape[3] / size)
        let dx = Tensor(shape: shape)
        let d = dx.mutablePointer, dy = outputGradient.pointer
        workspace.indices.withUnsafeBufferPointer { idx in
            for o in 0..<idx.count {
                d[(o / outPlane) * planeSize + Int(idx[o])] += dy[o]
            }
        }
        return dx
    }
}

/// Reshapes `[batch, d1, d2, …]` to `[batch, d1·d2·…]` in row-major order (as PyTorch's `flatten(1)`).
public struct Flatten: Layer {
    public let name: String

    public init(_ name: String = "flatten") { self.name = name }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] {
        [Tensor.elementCount(inputShape)]
    }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        workspace.input = input
        return input.reshaped([input.shape[0], input.itemCount])
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        needsInputGradient ? outputGradient.reshaped(workspace.input!.shape) : nil
    }
}
