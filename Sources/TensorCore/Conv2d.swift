/// A 2-D convolution (cross-correlation, as in PyTorch) with weight `[Cout, Cin, kh, kw]`, bias `[Cout]`.
///
/// Input `[batch, Cin, H, W]`, output `[batch, Cout, Ho, Wo]`. Forward and backward are im2col +
/// one GEMM over the whole batch (``Im2col``). For per-sample clipping the layer compares the cost of
/// materialising each sample's gradient (T·K·Cout) with ghost norms through the two T×T Gram
/// matrices (T²·(K + Cout), Li et al. 2022) and takes the cheaper, as the book-keeping method
/// does (Bu et al. 2023); either way the result is exact.
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

    /// Whether per-sample gradients are cheaper to materialise than ghost norms for T positions.
    func materialisesPerSampleGradients(positions t: Int) -> Bool {
        t * patchSize * outputChannels <= t * t * (patchSize + outputChannels)
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

    /// ∂L/∂Y' `[Cout, B·T]` from ∂L/∂y `[B, Cout, Ho, Wo]`, optionally scaling sample b by `factors[b]`.
    private func gradientColumns(_ outputGradient: Tensor, batch: Int, positions t: Int, workspace: LayerWorkspace,
                                 factors: UnsafeBufferPointer<Float>? = nil) -> Tensor {
        let cout = outputChannels
        let out = workspace.scratch(&workspace.productGradient, shape: [cout, batch * t])
        let d = out.mutablePointer, s = outputGradient.pointer
        for b in 0..<batch {
            let f = factors?[b] ?? 1
            for c in 0..<cout {
                let dst = d + c * batch * t + b * t, src = s + (b * cout + c) * t
                if f == 1 { dst.update(from: src, count: t) } else if f == 0 {
                    dst.update(repeating: 0, count: t)  // a dropped sample: 0·∞ would be NaN
                } else { for i in 0..<t { dst[i] = f * src[i] } }
            }
        }
        return out
    }

    public func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Float>, needsInputGradient: Bool
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
            if materialisesPerSampleGradients(positions: t) {
                materialisePerSampleGradients(dY, columns: columns, batch: batch, positions: t,
                                              workspace: workspace, squaredNorms: squaredNorms)
            } else {
                addGhostNorms(dY, columns: columns, batch: batch, positions: t, squaredNorms: squaredNorms)
                workspace.outputGradient = outputGradient
            }
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
                                               workspace: LayerWorkspace, squaredNorms: UnsafeMutableBufferPointer<Float>) {
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
            squaredNorms[b] += BLAS.dot(count: p, gb, gb)
        }
    }

    /// ‖gᵦ‖² = ⟨Aᵦ·Aᵦᵀ, Gᵦ·Gᵦᵀ⟩ with Aᵦ = columnsᵦᵀ `[T, K]`, Gᵦ = dY'ᵦᵀ `[T, Cout]`, plus the bias part.
    private func addGhostNorms(_ dY: Tensor, columns: Tensor, batch: Int, positions t: Int,
                               squaredNorms: UnsafeMutableBufferPointer<Float>) {
        let k = patchSize, cout = outputChannels, n = batch * t
        let gramA = Tensor.uninitialized(shape: [t, t]), gramG = Tensor.uninitialized(shape: [t, t])
        let d = dY.pointer
        var biasGradient = [Float](repeating: 0, count: cout)
        for b in 0..<batch {
            BLAS.gemm(transposeA: true, m: t, n: t, k: k, a: columns.pointer + b * t, lda: n,
                      b: columns.pointer + b * t, ldb: n, c: gramA.mutablePointer, ldc: t)
            BLAS.gemm(transposeA: true, m: t, n: t, k: cout, a: d + b * t, lda: n,
                      b: d + b * t, ldb: n, c: gramG.mutablePointer, ldc: t)
            var norm = BLAS.dot(count: t * t, gramA.pointer, gramG.pointer)
            for c in 0..<cout {
                var s: Float = 0
                let row = d + c * n + b * t
                for i in 0..<t { s += row[i] }
                biasGradient[c] = s
            }
            norm += biasGradient.reduce(0) { $0 + $1 * $1 }
            squaredNorms[b] += norm
        }
    }

    public func accumulateClippedGradient(
        factors: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
        workspace: LayerWorkspace, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        let input = workspace.input!
        let batch = input.shape[0]
        let t = geometry(height: input.shape[2], width: input.shape[3]).positions
        if materialisesPerSampleGradients(positions: t) {
            let grads = workspace.perSampleGradients!
            let p = grads.shape[1]
            for b in 0..<batch where factors[b] != 0 {
                BLAS.axpy(count: p, alpha: factors[b], x: grads.pointer + b * p, y: gradient.baseAddress!)
            }
        } else {
            let dY = gradientColumns(workspace.outputGradient!, batch: batch, positions: t, workspace: workspace,
                                     factors: factors)
            addGradient(gradientColumns: dY.pointer, columns: workspace.columns!.pointer,
                        batch: batch, positions: t, into: gradient)
        }
    }
}
