/// The models fedtop trains, by name, with layer names that match the equivalent PyTorch modules.
///
/// - `logistic`: multinomial logistic regression (flatten → linear).
/// - `mlp`: flatten → linear(hidden) → tanh → linear (the anchors' utility model, 64 tanh units).
/// - `smallcnn`: the reference CNN for `[1, 28, 28]` inputs — conv 16 3×3 → ReLU → pool 2 → conv 32
///   3×3 → ReLU → pool 2 → fc 128 → ReLU → fc classes (padding 1, as the anchors' PyTorch model).
/// - `lesioncnn`: the same shape for RGB `[3, H, W]` lesion images, fc 64 (105,959 parameters at
///   3×28×28; the benchmarks' CNN).
/// - `tinycnn`: a CNN sized for DP-SGD, the built-in lesions' default — conv 16 3×3 → ReLU → pool 2 →
///   conv 32 3×3 → ReLU → pool 2 → pool 2 → fc classes (7,111 parameters at 3×28×28). Small on
///   purpose: DP-SGD adds noise of the same scale to every parameter, so the noise in an update grows
///   with the model's dimension; `lesioncnn`, 100k of whose parameters are in fc1, drowned its signal
///   at ε = 3 (Tramèr & Boneh, "Differentially Private Learning Needs Better Features", 2021: small
///   models win under DP).
public enum ModelZoo {
    public static let names = ["logistic", "mlp", "smallcnn", "lesioncnn", "tinycnn"]

    /// The named model for per-sample inputs of `inputShape` and `classes` outputs.
    public static func make(_ name: String, inputShape: [Int], classes: Int, seed: UInt64,
                            hidden: Int = 64) throws(ModelError) -> Sequential {
        switch name {
        case "logistic": return try logisticRegression(inputShape: inputShape, classes: classes, seed: seed)
        case "mlp": return try mlp(inputShape: inputShape, hidden: hidden, classes: classes, seed: seed)
        case "smallcnn": return try smallCNN(inputShape: inputShape, classes: classes, seed: seed)
        case "lesioncnn": return try lesionCNN(inputShape: inputShape, classes: classes, seed: seed)
        case "tinycnn": return try tinyCNN(inputShape: inputShape, classes: classes, seed: seed)
        default: throw .unknownModel(name)
        }
    }

    public static func logisticRegression(inputShape: [Int], classes: Int, seed: UInt64) throws(ModelError) -> Sequential {
        let inputs = Tensor.elementCount(inputShape)
        return try Sequential(kind: "logistic", inputShape: inputShape, layers: [
            Flatten(), Linear("fc", inputs: inputs, outputs: classes, initialization: .xavier),
        ], seed: seed)
    }

    public static func mlp(inputShape: [Int], hidden: Int = 64, classes: Int, seed: UInt64) throws(ModelError) -> Sequential {
        let inputs = Tensor.elementCount(inputShape)
        return try Sequential(kind: "mlp", inputShape: inputShape, layers: [
            Flatten(),
            Linear("fc1", inputs: inputs, outputs: hidden, initialization: .xavier), Tanh("tanh1"),
            Linear("fc2", inputs: hidden, outputs: classes, initialization: .xavier),
        ], seed: seed)
    }

    public static func smallCNN(inputShape: [Int] = [1, 28, 28], classes: Int = 10, seed: UInt64) throws(ModelError) -> Sequential {
        try convNet(kind: "smallcnn", inputShape: inputShape, hidden: 128, classes: classes, seed: seed)
    }

    public static func lesionCNN(inputShape: [Int] = [3, 28, 28], classes: Int = 7, seed: UInt64) throws(ModelError) -> Sequential {
        try convNet(kind: "lesioncnn", inputShape: inputShape, hidden: 64, classes: classes, seed: seed)
    }

    public static func tinyCNN(inputShape: [Int] = [3, 28, 28], classes: Int = 7, seed: UInt64) throws(ModelError) -> Sequential {
        guard inputShape.count == 3, inputShape[1] >= 8, inputShape[2] >= 8 else {
            throw .shapeMismatch(layer: "conv1", inputShape: inputShape, expected: "[channels, H, W] with H, W ≥ 8")
        }
        let flat = 32 * (inputShape[1] / 8) * (inputShape[2] / 8)
        return try Sequential(kind: "tinycnn", inputShape: inputShape, layers: [
            Conv2d("conv1", inputChannels: inputShape[0], outputChannels: 16, kernelSize: 3, padding: 1), ReLU("relu1"),
            MaxPool2d("pool1"),
            Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1), ReLU("relu2"),
            MaxPool2d("pool2"),
            MaxPool2d("pool3"),
            Flatten(),
            Linear("fc", inputs: flat, outputs: classes, initialization: .xavier),
        ], seed: seed)
    }

    private static func convNet(kind: String, inputShape: [Int], hidden: Int, classes: Int, seed: UInt64) throws(ModelError) -> Sequential {
        guard inputShape.count == 3, inputShape[1] >= 4, inputShape[2] >= 4 else {
            throw .shapeMismatch(layer: "conv1", inputShape: inputShape, expected: "[channels, H, W] with H, W ≥ 4")
        }
        let flat = 32 * (inputShape[1] / 2 / 2) * (inputShape[2] / 2 / 2)
        return try Sequential(kind: kind, inputShape: inputShape, layers: [
            Conv2d("conv1", inputChannels: inputShape[0], outputChannels: 16, kernelSize: 3, padding: 1), ReLU("relu1"),
            MaxPool2d("pool1"),
            Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1), ReLU("relu2"),
            MaxPool2d("pool2"),
            Flatten(),
            Linear("fc1", inputs: flat, outputs: hidden), ReLU("relu3"),
            Linear("fc2", inputs: hidden, outputs: classes, initialization: .xavier),
        ], seed: seed)
    }
}
