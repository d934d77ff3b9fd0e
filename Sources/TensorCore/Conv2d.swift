/// A 2-D convolution (cross-correlation, as in PyTorch) with weight `[Cout, Cin, kh, kw]`, bias `[Cout]`.
///
/// Input `[batch, Cin, H, W]`, output `[batch, Cout, Ho, Wo]`. Forward and backward are im2col +
/// one GEMM over the whole batch (``Im2col``). For per-sample clipping the layer materialises each
/// sample's gradient gᵦ = dY'ᵦ·columnsᵦᵀ: the same FLOPs as the batch gradient, and the norm that
/// decides the clip factor is the norm of exactly the vector that is scaled and summed.
///
/// Ghost norms through the two T×T Gram matrices, ‖gᵦ‖² = ⟨AAᵀ, GGᵀ⟩ (Li et al. 2022), are cheaper
/// when T is small, but that inner product sums mixed-sign terms: in Float32 it can undercount the
/// norm badly enough that a "clipped" sample exceeds C (found in review), which would break the
/// sensitivity bound the accountant relies on. fedtop does not use them for convolutions.
public struct Conv2d: Layer {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let initialization: Initialization

    public init(_ name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, initialization: Initialization = .he) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2d \(name): sizes must be positive")
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.initialization = initialization
    }

    var patchSize: Int { inputChannels * kernelSize * kernelSize }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize]),
         ParameterSpec(name: "bias", shape: [outputChannels])]
    }

    public var description: String {
        "\(name): Conv2d(\(inputChannels) → \(outputChannels), \(kernelSize)×\(kernelSize), stride \(stride), padding \(padding))"
    }

    func geometry(height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(channels: inputChannels, height: height, width: width,
                            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] {
        guard inputShape.count == 3, inputShape[0] == inputChannels,
              inputShape[1] + 2 * padding >= kernelSize, inputShape[2] + 2 * padding >= kernelSize else {
            throw .shapeMismatch(layer: name, inputShape: inputShape,
                                 expected: "[\(inputChannels), H, W] with H, W ≥ \(kernelSize - 2 * padding)")
        }
        let g = geometry(height: inputShape[1], width: inputShape[2])
        return [outputChannels, g.outputHeight, g.outputWidth]
    }

    public func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, using generator: inout SeededGenerator) {
        let weights = outputChannels * patchSize
        initialization.fill(UnsafeMutableBufferPointer(rebasing: parameters[0..<weights]),
                            fanIn: patchSize, fanOut: outputChannels * kernelSize * kernelSize, using: &generator)
        for i in weights..<parameters.count { parameters[i] = 0 }
    }

    public func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor {
        let batch = input.shape[0]
        let g = geometry(height: input.shape[2], width: input.shape[3])
        let t = g.positions, k = patchSize, cout = outputChannels
        let columns = workspace.scratch(&workspace.columns, shape: [k, batch * t])
        Im2col.im2col(input.pointer, batch: batch, geometry: g, into: columns.mutablePointer)
        // Y' [Cout, B·T] = W [Cout, K] · columns [K, B·T]; then y[b, c, :] = Y'[c, b·T ..< b·T + T] + bias[c].
        let product = workspace.scratch(&workspace.product, shape: [cout, batch * t])
        BLAS.gemm(m: cout, n: batch * t, k: k, a: parameters.baseAddress!, lda: k,
                  b: columns.pointer, ldb: batch * t, c: product.mutablePointer, ldc: batch * t)
        let out = workspace.scratch(&workspace.output, shape: [batch, cout, g.outputHeight, g.outputWidth])
        let bias = parameters.baseAddress! + cout * k
        let y = out.mutablePointer, p = product.pointer
        for b in 0..<batch {
            for c in 0..<cout {
                let dst = y + (b * cout + c) * t, src = p + c * batch * t + b * t
                let bc = bias[c]
                for i in 0..<t { dst[i] = src[i] + bc }
            }
        }
        workspace.input = input
        return out
    }

    /// ∂L/∂Y' `[Cout, B·T]` from ∂L/∂y `[B, Cout, Ho, Wo]`.
    private func gradientColumns(_ outputGradient: Tensor, batch: Int, positions t: Int,
                                 workspace: LayerWorkspace) -> Tensor {
        let cout = outputChannels
        let out = workspace.scratch(&workspace.productGradient, shape: [cout, batch * t])
        let d = out.mutablePointer, s = outputGradient.pointer
        for b in 0..<batch {
            for c in 0..<cout {
                (d + c * batch * t + b * t).update(from: s + (b * cout + c) * t, count: t)
            }
        }
        return out
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor? {
        let input = workspace.input!, columns = workspace.columns!
        let batch = input.shape[0]
        let g = geometry(height: input.shape[2], width: input.shape[3])
        let t = g.positions, k = patchSize, cout = outputChannels
        let dY = gradientColumns(outputGradient, batch: batch, positions: t, workspace: workspace)
        switch mode {
        case .batchSum:
            addGradient(gradientColumns: dY.pointer, columns: columns.pointer, batch: batch, positions: t, into: gradient)
        case .perSampleNorms:
            materialisePerSampleGradients(dY, columns: columns, batch: batch, positions: t,
                                          workspace: workspace, squaredNorms: squaredNorms)
        }
        guard needsInputGradient else { return nil }
        // dcolumns [K, B·T] = Wᵀ · dY', then col2im onto the input positions.
        let dColumns = workspace.scratch(&workspace.columnsGradient, shape: [k, batch * t])
        BLAS.gemm(transposeA: true, m: k, n: batch * t, k: cout, a: parameters.baseAddress!, lda: k,
                  b: dY.pointer, ldb: batch * t, c: dColumns.mutablePointer, ldc: batch * t)
        let dx = Tensor(shape: input.shape)
        Im2col.col2im(dColumns.pointer, batch: batch, geometry: g, into: dx.mutablePointer)
        return dx
    }

    /// dW += dY'·columnsᵀ, db += row sums of dY'.
    private func addGradient(gradientColumns dY: UnsafePointer<Float>, columns: UnsafePointer<Float>,
                             batch: Int, positions t: Int, into gradient: UnsafeMutableBufferPointer<Float>) {
        let k = patchSize, cout = outputChannels, n = batch * t
        let dw = gradient.baseAddress!, db = dw + cout * k
        BLAS.gemm(transposeB: true, m: cout, n: k, k: n, a: dY, lda: n, b: columns, ldb: n,
                  beta: 1, c: dw, ldc: k)
        for c in 0..<cout {
            var s: Float = 0
            let row = dY + c * n
            for i in 0..<n { s += row[i] }
            db[c] += s
        }
    }

    /// Per-sample gradients gᵦ = dY'ᵦ · columnsᵦᵀ (plus bias row sums) into the workspace, and their norms.
    private func materialisePerSampleGradients(_ dY: Tensor, columns: Tensor, batch: Int, positions t: Int,
                                               workspace: LayerWorkspace, squaredNorms: UnsafeMutableBufferPointer<Double>) {
        let k = patchSize, cout = outputChannels, n = batch * t, p = cout * k + cout
        let grads = workspace.scratch(&workspace.perSampleGradients, shape: [batch, p])
        let gp = grads.mutablePointer, d = dY.pointer
        for b in 0..<batch {
            let gb = gp + b * p
            BLAS.gemm(transposeB: true, m: cout, n: k, k: t, a: d + b * t, lda: n,
                      b: columns.pointer + b * t, ldb: n, c: gb, ldc: k)
            for c in 0..<cout {
                var s: Float = 0
                let row = d + c * n + b * t
                for i in 0..<t { s += row[i] }
                gb[cout * k + c] = s
            }
            squaredNorms[b] += squaredNormInDouble(gb, count: p)
        }
    }

    public func accumulateClippedGradient(
        factors: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
        workspace: LayerWorkspace, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        let grads = workspace.perSampleGradients!
        let batch = grads.shape[0], p = grads.shape[1]
        for b in 0..<batch where factors[b] != 0 {
            BLAS.axpy(count: p, alpha: factors[b], x: grads.pointer + b * p, y: gradient.baseAddress!)
        }
    }
}
