/// The geometry of a 2-D convolution or pooling window over `[channels, height, width]` planes.
public struct ConvolutionGeometry: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var stride: Int, padding: Int

    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// The output columns ow whose input column ow·stride − padding + j (kernel column j) lies inside
    /// the plane; the others read zero padding.
    func validOutputColumns(kernelColumn j: Int) -> Range<Int> {
        let start = max(0, (padding - j + stride - 1) / stride)
        let end = min(outputWidth, (width + padding - j + stride - 1) / stride)
        return start..<max(start, end)
    }

    /// Output positions per sample (T).
    public var positions: Int { outputHeight * outputWidth }
    /// Rows of the column matrix (K = channels · kh · kw).
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
}

/// im2col and col2im (Chellapilla, Puri & Simard 2006): a convolution becomes one GEMM.
///
/// Layout: for a batch of B samples `[B, C, H, W]`, the column matrix is `[K, B·T]`, row
/// k = (c, i, j) in (channel, kernel row, kernel column) order, column b·T + (oh·Wo + ow). With the
/// weight as `[Cout, K]` (PyTorch's `[Cout, C, kh, kw]` flattened) the convolution is W · columns.
enum Im2col {
    /// Writes the column matrix of `input` (`batch` samples) into `columns` (every scalar written).
    static func im2col(_ input: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry,
                       into columns: UnsafeMutablePointer<Float>) {
        let t = g.positions, ho = g.outputHeight, wo = g.outputWidth
        let rowLength = batch * t
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + i) * g.kernelWidth + j) * rowLength
                    let valid = g.validOutputColumns(kernelColumn: j)
                    let owStart = valid.lowerBound, owEnd = valid.upperBound
                    for b in 0..<batch {
                        let plane = input + (b * g.channels + c) * g.height * g.width
                        let dst = row + b * t
                        for oh in 0..<ho {
                            let ih = oh * g.stride - g.padding + i
                            let out = dst + oh * wo
                            guard ih >= 0 && ih < g.height, owStart < owEnd else {
                                out.update(repeating: 0, count: wo)
                                continue
                            }
                            for ow in 0..<owStart { out[ow] = 0 }
                            let src = plane + ih * g.width - g.padding + j
                            if g.stride == 1 {
                                (out + owStart).update(from: src + owStart, count: owEnd - owStart)
                            } else {
                                for ow in owStart..<owEnd { out[ow] = src[ow * g.stride] }
                            }
                            for ow in owEnd..<wo { out[ow] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// Adds the column-matrix gradient back onto the input positions it came from (the adjoint of
    /// `im2col`); `inputGradient` must be zeroed by the caller.
    static func col2im(_ columns: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry,
                       into inputGradient: UnsafeMutablePointer<Float>) {
        let t = g.positions, ho = g.outputHeight, wo = g.outputWidth
        let rowLength = batch * t
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + i) * g.kernelWidth + j) * rowLength
                    let valid = g.validOutputColumns(kernelColumn: j)
                    guard !valid.isEmpty else { continue }
                    let owStart = valid.lowerBound, owEnd = valid.upperBound
                    for b in 0..<batch {
                        let plane = inputGradient + (b * g.channels + c) * g.height * g.width
                        let src = row + b * t
                        for oh in 0..<ho {
                            let ih = oh * g.stride - g.padding + i
                            guard ih >= 0 && ih < g.height else { continue }
                            let dst = plane + ih * g.width - g.padding + j
                            let from = src + oh * wo
                            if g.stride == 1 {
                                for ow in owStart..<owEnd { dst[ow] += from[ow] }
                            } else {
                                for ow in owStart..<owEnd { dst[ow * g.stride] += from[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}
