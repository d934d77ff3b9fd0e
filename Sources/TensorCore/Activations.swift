/// Forward and backward loops shared by the element-wise activations, inlined into each concrete
/// layer so that `f` and `f′` inline too and the loops vectorise (no call per element).
enum ElementwiseKernel {
    @inline(__always)
    static func forward(_ input: Tensor, workspace: LayerWorkspace, _ f: (Float) -> Float) -> Tensor {
        let out = workspace.scratch(&workspace.output, shape: input.shape)
        let x = input.pointer, y = out.mutablePointer
        for i in 0..<input.count { y[i] = f(x[i]) }
        return out
    }

    /// ∂L/∂x = ∂L/∂y · f′, with f′ written in terms of the saved output y.
    @inline(__always)
    static func backward(_ outputGradient: Tensor, workspace: LayerWorkspace, needsInputGradient: Bool,
                         _ derivative: (Float) -> Float) -> Tensor? {
        guard needsInputGradient else { return nil }
        let output = workspace.output!
        let dx = Tensor.uninitialized(shape: output.shape)
        let y = output.pointer, dy = outputGradient.pointer, d = dx.mutablePointer
        for i in 0..<output.count { d[i] = dy[i] * derivative(y[i]) }
        return dx
    }
}

/// ReLU, max(0, x); its derivative at 0 is taken as 0, as PyTorch does.
public struct ReLU: Layer {
    public let name: String
    public init(_ name: String = "relu") { self.name = name }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        ElementwiseKernel.forward(input, workspace: workspace) { $0 > 0 ? $0 : 0 }
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        ElementwiseKernel.backward(outputGradient, workspace: workspace, needsInputGradient: needsInputGradient) {
            $0 > 0 ? 1 : 0
        }
    }
}

/// The hyperbolic tangent; f′ = 1 − y².
public struct Tanh: Layer {
    public let name: String
    public init(_ name: String = "tanh") { self.name = name }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        ElementwiseKernel.forward(input, workspace: workspace) { fastTanh($0) }
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        ElementwiseKernel.backward(outputGradient, workspace: workspace, needsInputGradient: needsInputGradient) {
            1 - $0 * $0
        }
    }
}

/// The logistic sigmoid 1 / (1 + e⁻ˣ), computed without overflow for large |x|; f′ = y(1 − y).
public struct Sigmoid: Layer {
    public let name: String
    public init(_ name: String = "sigmoid") { self.name = name }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    /// σ(x), stable for either sign of x.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + _expf(-x)) }
        let e = _expf(x)
        return e / (1 + e)
    }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        ElementwiseKernel.forward(input, workspace: workspace) { Sigmoid.sigmoid($0) }
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        ElementwiseKernel.backward(outputGradient, workspace: workspace, needsInputGradient: needsInputGradient) {
            $0 * (1 - $0)
        }
    }
}
