/// How a layer's weights are drawn at initialisation (biases start at zero).
///
/// - `he`: N(0, 2/fan_in), for layers followed by ReLU (He et al. 2015, "Delving deep into rectifiers").
/// - `xavier`: U(±√(6/(fan_in + fan_out))), for tanh, sigmoid and output layers (Glorot & Bengio 2010).
public enum Initialization: String, Sendable {
    case he
    case xavier

    /// Fills `weights` for a layer with the given fan-in and fan-out.
    public func fill(_ weights: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
                     using generator: inout SeededGenerator) {
        switch self {
        case .he:
            generator.fillNormal(weights, std: Float((2.0 / Double(max(fanIn, 1))).squareRoot()))
        case .xavier:
            let bound = Float((6.0 / Double(max(fanIn + fanOut, 1))).squareRoot())
            for i in weights.indices { weights[i] = (2 * generator.nextUnitFloat() - 1) * bound }
        }
    }
}
