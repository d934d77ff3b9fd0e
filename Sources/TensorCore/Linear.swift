/// A fully connected layer y = x·Wᵀ + b, with W `[outputs, inputs]` and b `[outputs]` (PyTorch's layout).
///
/// Input `[batch, inputs]`, output `[batch, outputs]`. Per-sample clipping uses ghost norms:
/// for one sample, ‖∂L/∂W‖² = ‖x‖²·‖δ‖² (Goodfellow 2015, "Efficient per-example gradient
/// computations"), so no per-sample gradient is ever materialised, and the clipped sum is one GEMM
/// with the output gradient rows scaled by the clip factors (book-keeping, Bu et al. 2023).
public struct Linear: Layer {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let initialization: Initialization

    public init(_ name: String, inputs: Int, outputs: Int, initialization: Initialization = .he) {
        precondition(inputs > 0 && outputs > 0, "Linear \(name): sizes must be positive")
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.initialization = initialization
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [outputs, inputs]), ParameterSpec(name: "bias", shape: [outputs])]
    }

    public var description: String { "\(name): Linear(\(inputs) → \(outputs))" }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] {
        guard inputShape == [inputs] else {
            throw .shapeMismatch(layer: name, inputShape: inputShape, expected: "[\(inputs)]")
        }
        return [outputs]
    }

    public func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, using generator: inout SeededGenerator) {
        initialization.fill(UnsafeMutableBufferPointer(rebasing: parameters[0..<(inputs * outputs)]),
                            fanIn: inputs, fanOut: outputs, using: &generator)
        for i in (inputs * outputs)..<parameters.count { parameters[i] = 0 }
    }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        let batch = input.shape[0]
        let w = parameters.baseAddress!, bias = w + inputs * outputs
        let out = workspace.scratch(&workspace.output, shape: [batch, outputs])
        let y = out.mutablePointer
        for row in 0..<batch { (y + row * outputs).update(from: bias, count: outputs) }
        BLAS.gemm(transposeB: true, m: batch, n: outputs, k: inputs,
                  a: input.pointer, lda: inputs, b: w, ldb: inputs, beta: 1, c: y, ldc: outputs)
        workspace.input = input
        return out
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        let input = workspace.input!
        let batch = input.shape[0]
        let dy = outputGradient.pointer, x = input.pointer
        switch mode {
        case .batchSum:
            addGradient(outputGradient: dy, input: x, batch: batch, into: gradient)
        case .perSampleNorms:
            for i in 0..<batch {
                let xn = squaredNormInDouble(x + i * inputs, count: inputs)
                let dn = squaredNormInDouble(dy + i * outputs, count: outputs)
                squaredNorms[i] += xn * dn + dn
            }
            workspace.outputGradient = outputGradient
        }
        guard needsInputGradient else { return nil }
        let dx = Tensor.uninitialized(shape: input.shape)
        BLAS.gemm(m: batch, n: inputs, k: outputs, a: dy, lda: outputs,
                  b: parameters.baseAddress!, ldb: inputs, c: dx.mutablePointer, ldc: inputs)
        return dx
    }

    public func accumulateClippedGradient(
        factors: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
        workspace: LayerWorkspace, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        let dy = workspace.outputGradient!, input = workspace.input!
        let batch = input.shape[0]
        let scaled = Tensor.uninitialized(shape: dy.shape)
        let s = scaled.mutablePointer, d = dy.pointer
        for i in 0..<batch {
            let c = factors[i]
            if c == 0 { (s + i * outputs).update(repeating: 0, count: outputs); continue }  // dropped: 0·∞ is NaN
            for j in 0..<outputs { s[i * outputs + j] = c * d[i * outputs + j] }
        }
        addGradient(outputGradient: scaled.pointer, input: input.pointer, batch: batch, into: gradient)
    }

    /// dW += δᵀ·x, db += Σᵢ δᵢ.
    private func addGradient(outputGradient dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                             batch: Int, into gradient: UnsafeMutableBufferPointer<Float>) {
        let dw = gradient.baseAddress!, db = dw + inputs * outputs
        BLAS.gemm(transposeA: true, m: outputs, n: inputs, k: batch, a: dy, lda: outputs,
                  b: x, ldb: inputs, beta: 1, c: dw, ldc: inputs)
        for i in 0..<batch {
            for j in 0..<outputs { db[j] += dy[i * outputs + j] }
        }
    }
}
