/// One named parameter tensor of a layer: `weight` `[out, in]`, `bias` `[out]`, …
public struct ParameterSpec: Sendable, Equatable {
    /// The name within the layer (`weight`, `bias`); the model prefixes the layer's name.
    public var name: String
    /// The shape, in PyTorch's layout, so exported weights load into the same PyTorch module.
    public var shape: [Int]
    public var count: Int { Tensor.elementCount(shape) }

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

/// How a backward pass treats the parameter gradients.
public enum GradientMode: Sendable {
    /// Add the batch's summed gradient Σᵢ gᵢ into the gradient buffer.
    case batchSum
    /// Differential privacy, first pass: add each sample's squared gradient norm ‖gᵢ‖² (this layer's
    /// share) into `squaredNorms`, and keep in the workspace what
    /// ``Layer/accumulateClippedGradient(factors:parameters:workspace:into:)`` needs for the clipped sum.
    case perSampleNorms
}

/// A differentiable layer: an immutable description (shapes, hyper-parameters) whose parameters
/// live in a slice of the model's flat parameter vector.
///
/// Contract:
/// - Inputs and outputs are batched: the first dimension is the sample index.
/// - `forward` saves in its ``LayerWorkspace`` what `backward` needs; one workspace serves one thread,
///   so one layer value can run on several threads at once with a workspace each.
/// - `backward` takes ∂L/∂y for a loss that is the *sum* of per-sample losses (so row i of the
///   parameter gradient is sample i's own gradient), and returns ∂L/∂x when asked.
/// - Per-sample clipping (DP-SGD, Abadi et al. 2016) is two calls: `backward(mode: .perSampleNorms)`
///   adds ‖gᵢ‖² per sample, then `accumulateClippedGradient` adds Σᵢ cᵢ·gᵢ for clip factors cᵢ.
///   Each layer gets its norms without a per-sample backward pass: ghost norms where they are exact
///   and cheap (linear layers: Goodfellow 2015; Li et al. 2022, "Large language models can be strong
///   differentially private learners"), per-sample gradients where those are (convolutions), and the
///   clipped sum by book-keeping (Bu et al. 2023, "Differentially private optimization on large model
///   at small cost"). Norms are summed in Double.
public protocol Layer: Sendable, CustomStringConvertible {
    /// The layer's name in a model (`conv1`, `fc2`): parameter names are `name.weight`, `name.bias`.
    var name: String { get }
    /// The parameter tensors, in the order they are laid out in the flat vector.
    var parameterSpecs: [ParameterSpec] { get }
    /// The per-sample output shape for a per-sample input shape, or a message saying why not.
    func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int]
    /// Writes initial parameters (seeded He or Xavier initialisation, as suits the layer).
    func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, using generator: inout SeededGenerator)
    /// y = f(x; θ) for a batch.
    func forward(_ input: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace) -> Tensor
    /// Back-propagates ∂L/∂y; adds parameter gradients as `mode` says into `gradient` (batch sums)
    /// or `squaredNorms` (per sample); returns ∂L/∂x when `needsInputGradient`.
    func backward(
        _ outputGradient: Tensor, parameters: UnsafeBufferPointer<Float>, workspace: LayerWorkspace,
        mode: GradientMode, gradient: UnsafeMutableBufferPointer<Float>,
        squaredNorms: UnsafeMutableBufferPointer<Double>, needsInputGradient: Bool
    ) -> Tensor?
    /// After a `.perSampleNorms` backward: adds Σᵢ factors[i]·gᵢ into `gradient`.
    func accumulateClippedGradient(
        factors: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
        workspace: LayerWorkspace, into gradient: UnsafeMutableBufferPointer<Float>)
}

// MARK: - Default implementations

extension Layer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }
    public func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, using generator: inout SeededGenerator) {}
    public func accumulateClippedGradient(
        factors: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
        workspace: LayerWorkspace, into gradient: UnsafeMutableBufferPointer<Float>) {}
    public var description: String { name }
}

/// Σ x² over `count` contiguous scalars, accumulated in Double: per-sample norms decide clipping,
/// so they are summed without Float32's loss of low-order terms.
@inline(__always)
func squaredNormInDouble(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { let v = Double(x[i]); s += v * v }
    return s
}

/// What one layer keeps between its forward and backward pass on one thread.
///
/// Contract: owned by one thread at a time; its contents are valid from a `forward` until the next
/// `forward` on the same workspace. Buffers are kept between steps and reused when the batch shape
/// repeats, so a training loop allocates little after its first step.
public final class LayerWorkspace {
    /// The forward input (layers that need it in backward).
    public var input: Tensor?
    /// The forward output (activations whose derivative is a function of the output).
    public var output: Tensor?
    /// A layer-specific buffer: im2col columns of a convolution.
    public var columns: Tensor?
    /// The batch's output gradient kept for a clipped-sum pass (ghost-norm layers).
    public var outputGradient: Tensor?
    /// Materialised per-sample gradients `[batch, parameterCount]` (per-sample-gradient layers).
    public var perSampleGradients: Tensor?
    /// Scratch for intermediate products (a convolution's GEMM output and its gradient), kept
    /// between steps so that the hot loop does not allocate.
    public var product: Tensor?
    public var productGradient: Tensor?
    public var columnsGradient: Tensor?
    /// Argmax positions of a max-pool.
    public var indices: [Int32] = []

    public init() {}

    /// A tensor of `shape` for scratch use, reusing `slot`'s storage when it is free and of that size.
    /// Its contents are unspecified; the caller writes every scalar.
    func scratch(_ slot: inout Tensor?, shape: [Int]) -> Tensor {
        if var kept = slot, kept.count == Tensor.elementCount(shape) {
            slot = nil
            if isKnownUniquelyReferenced(&kept.storage) {
                let t = kept.reshaped(shape)
                slot = t
                return t
            }
        }
        let t = Tensor.uninitialized(shape: shape)
        slot = t
        return t
    }
}

/// Errors in building or loading a model, with the layer or tensor they concern.
public indirect enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A layer cannot take the shape its predecessor produces.
    case shapeMismatch(layer: String, inputShape: [Int], expected: String)
    /// A parameter vector of the wrong length for the model.
    case parameterCount(expected: Int, found: Int)
    /// Saved weights lack a tensor the model needs.
    case missingTensor(String)
    /// Saved weights hold a tensor of another shape than the model's.
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// Saved weights are of another model kind.
    case modelKind(expected: String, found: String)
    /// An unknown model name.
    case unknownModel(String)
    /// One of the errors above, in the weights file at `path`.
    case inFile(path: String, ModelError)
    /// A federated-dropout mask that does not fit the model (``SubModelMask``).
    case subModel(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(layer, inputShape, expected):
            return "layer \(layer) cannot take input of shape \(inputShape): expected \(expected)"
        case let .parameterCount(expected, found):
            return "parameter vector has \(found) scalars, the model needs \(expected)"
        case let .missingTensor(name):
            return "tensor '\(name)' is missing"
        case let .tensorShape(name, expected, found):
            return "tensor '\(name)' has shape \(found), the model needs \(expected)"
        case let .modelKind(expected, found):
            return "weights are for model '\(found)', not '\(expected)'"
        case let .unknownModel(name):
            return "unknown model '\(name)' (known: \(ModelZoo.names.joined(separator: ", ")))"
        case let .inFile(path, error):
            return "\(path): \(error.description)"
        case let .subModel(reason):
            return "federated-dropout mask refused: \(reason)"
        }
    }
}
