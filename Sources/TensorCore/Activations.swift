/// An element-wise activation whose derivative is a function of its output y = f(x).
///
/// Contract: forward keeps the output; backward returns ∂L/∂x = ∂L/∂y · f′ expressed through y.
public protocol ElementwiseActivation: Layer {
    /// f(x).
    static func apply(_ x: Float) -> Float
    /// f′(x) written in terms of y = f(x).
    static func derivative(output y: Float) -> Float
}

// MARK: - Default implementations

extension ElementwiseActivation {
    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        let out = workspace.scratch(&workspace.output, shape: input.shape)
        let x = input.pointer, y = out.mutablePointer
        for i in 0..<input.count { y[i] = Self.apply(x[i]) }
        return out
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Float>, needsInputGradient: Bool
    ) -> Tensor? {
        guard needsInputGradient else { return nil }
        let output = workspace.output!
        let dx = Tensor.uninitialized(shape: output.shape)
        let y = output.pointer, dy = outputGradient.pointer, d = dx.mutablePointer
        for i in 0..<output.count { d[i] = dy[i] * Self.derivative(output: y[i]) }
        return dx
    }
}

/// ReLU, max(0, x) (its derivative at 0 taken as 0, as PyTorch does).
public struct ReLU: ElementwiseActivation {
    public let name: String
    public init(_ name: String = "relu") { self.name = name }
    @inline(__always) public static func apply(_ x: Float) -> Float { x > 0 ? x : 0 }
    @inline(__always) public static func derivative(output y: Float) -> Float { y > 0 ? 1 : 0 }
}

/// The hyperbolic tangent.
public struct Tanh: ElementwiseActivation {
    public let name: String
    public init(_ name: String = "tanh") { self.name = name }
    @inline(__always) public static func apply(_ x: Float) -> Float { _tanhf(x) }
    @inline(__always) public static func derivative(output y: Float) -> Float { 1 - y * y }
}

/// The logistic sigmoid 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
public struct Sigmoid: ElementwiseActivation {
    public let name: String
    public init(_ name: String = "sigmoid") { self.name = name }
    @inline(__always) public static func apply(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + _expf(-x)) }
        let e = _expf(x)
        return e / (1 + e)
    }
    @inline(__always) public static func derivative(output y: Float) -> Float { y * (1 - y) }
}
