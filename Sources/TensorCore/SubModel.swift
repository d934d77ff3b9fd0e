/// Which hidden units a federated-dropout sub-model keeps (Caldas, Konečný, McMahan & Talwalkar 2018,
/// "Expanding the Reach of Federated Learning by Reducing Client Resource Requirements").
///
/// Contract:
/// - `keptUnits[k]` lists, ascending and without repeats, the output units (a `Linear`'s neurons, a
///   `Conv2d`'s filters) that the k-th *hidden* parametric layer keeps; the last parametric layer (the
///   logits) always keeps every output, so there is one entry per parametric layer but the last.
/// - A mask carries no data: the aggregator draws it from its seed and the round
///   (``random(for:keep:seed:)``), so it reveals nothing about any hospital.
/// - Validated against a model by ``Sequential/subModel(_:)``, which refuses any mask that does not
///   fit (wrong layer count, an index out of range, unsorted or repeated, an empty layer).
public struct SubModelMask: Sendable, Equatable, Codable {
    public var keptUnits: [[Int]]

    public init(keptUnits: [[Int]]) {
        self.keptUnits = keptUnits
    }

    /// A mask keeping `max(1, round(keep · units))` units of every hidden layer, chosen uniformly at
    /// random from `seed` (one stream per layer).
    public static func random(for model: Sequential, keep: Double, seed: UInt64) -> SubModelMask {
        precondition(keep > 0 && keep <= 1, "keep fraction \(keep) outside (0, 1]")
        let units = model.hiddenUnits
        return SubModelMask(keptUnits: units.enumerated().map { layer, count in
            let k = min(count, max(1, Int((keep * Double(count)).rounded())))
            var generator = SeededGenerator(seed: seed, stream: UInt64(layer + 1))
            var all = Array(0..<count)
            all.shuffle(using: &generator)
            return all.prefix(k).sorted()
        })
    }

    /// The greatest number of hidden layers and units per layer a mask may name (a bound on the work
    /// one request may ask for before the mask is checked against the model).
    public static let maxLayers = 64
    public static let maxUnits = 1 << 20
}

/// A federated-dropout sub-model and its map back into the full model.
///
/// Contract: `model` is the thinned architecture (the same layer names, fewer units) with the full
/// model's parameters gathered into it; `indices[i]` is the full-model position of the sub-model's
/// parameter i, all distinct, so ``gather(_:)`` then ``scatter(_:)`` is the identity on the kept
/// coordinates and zero elsewhere.
public struct SubModel: Sendable {
    /// The mask it was built from.
    public let mask: SubModelMask
    public let model: Sequential
    public let indices: [Int32]
    /// The full model's parameter count.
    public let fullCount: Int

    /// The sub-model's coordinates of a full-length vector.
    public func gather(_ full: Tensor) -> Tensor {
        precondition(full.count == fullCount, "vector of \(full.count) scalars, the full model has \(fullCount)")
        var out = Tensor.uninitialized(shape: [indices.count])
        full.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                for (i, j) in indices.enumerated() { o[i] = f[Int(j)] }
            }
        }
        return out
    }

    /// A full-length vector holding `sub`'s values at their coordinates and zero elsewhere (a sub-model
    /// update mapped back: the dropped units do not move).
    public func scatter(_ sub: Tensor) -> Tensor {
        precondition(sub.count == indices.count, "vector of \(sub.count) scalars, the sub-model has \(indices.count)")
        var out = Tensor(shape: [fullCount])
        sub.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for (i, j) in indices.enumerated() { o[Int(j)] = s[i] }
            }
        }
        return out
    }

    /// Writes `sub`'s values into `full` at their coordinates; the other coordinates keep theirs.
    public func scatter(_ sub: Tensor, into full: inout Tensor) {
        precondition(sub.count == indices.count && full.count == fullCount,
                     "vectors of \(sub.count) and \(full.count) scalars for a sub-model of \(indices.count) in \(fullCount)")
        sub.withUnsafeBufferPointer { s in
            full.withUnsafeMutableBufferPointer { o in
                for (i, j) in indices.enumerated() { o[Int(j)] = s[i] }
            }
        }
    }

    /// The share of the full model's parameters the sub-model carries.
    public var parameterFraction: Double { fullCount > 0 ? Double(indices.count) / Double(fullCount) : 1 }
}

extension Sequential {
    /// The output units of every hidden parametric layer (all `Linear` and `Conv2d` layers but the last),
    /// in order: what a ``SubModelMask`` chooses from.
    public var hiddenUnits: [Int] {
        let parametric = layers.compactMap { layer -> Int? in
            if let l = layer as? Linear { return l.outputs }
            if let c = layer as? Conv2d { return c.outputChannels }
            return nil
        }
        return Array(parametric.dropLast())
    }

    /// The sub-model `mask` keeps, with this model's parameters gathered into it.
    ///
    /// Each kept unit keeps its incoming weights from the previous layer's kept units (for a `Linear`
    /// after `Flatten`, every spatial position of each kept channel) and its bias. Activations, pooling
    /// and `Flatten` pass the channel choice through; any other layer cannot be thinned.
    public func subModel(_ mask: SubModelMask) throws(ModelError) -> SubModel {
        let units = hiddenUnits
        guard mask.keptUnits.count == units.count else {
            throw .subModel("the mask names \(mask.keptUnits.count) hidden layer(s), \(kind) has \(units.count)")
        }
        for (k, kept) in mask.keptUnits.enumerated() {
            guard !kept.isEmpty else { throw .subModel("hidden layer \(k + 1) keeps no unit") }
            for (i, u) in kept.enumerated() {
                guard u >= 0 && u < units[k] else {
                    throw .subModel("hidden layer \(k + 1): unit \(u) outside 0..<\(units[k])")
                }
                guard i == 0 || kept[i - 1] < u else {
                    throw .subModel("hidden layer \(k + 1): units not strictly ascending at \(u)")
                }
            }
        }
        guard parameterCount <= Int(Int32.max) else {
            throw .subModel("\(kind) has \(parameterCount) parameters; sub-models index at most \(Int32.max)")
        }
        var newLayers: [any Layer] = []
        var indices: [Int32] = []
        var shape = inputShape
        var kept: [Int]? = nil  // the current activation's kept channels (axis 0), nil: all
        var hidden = 0
        for (l, layer) in layers.enumerated() {
            let base = parameterRanges[l].lowerBound
            switch layer {
            case let linear as Linear:
                let inputs = kept ?? Array(0..<linear.inputs)
                let isHidden = hidden < units.count
                let outputs = isHidden ? mask.keptUnits[hidden] : Array(0..<linear.outputs)
                for o in outputs {
                    let row = base + o * linear.inputs
                    for i in inputs { indices.append(Int32(row + i)) }
                }
                for o in outputs { indices.append(Int32(base + linear.inputs * linear.outputs + o)) }
                newLayers.append(Linear(linear.name, inputs: inputs.count, outputs: outputs.count,
                                        initialization: linear.initialization))
                kept = isHidden ? outputs : nil
                if isHidden { hidden += 1 }
            case let conv as Conv2d:
                let channels = kept ?? Array(0..<conv.inputChannels)
                let isHidden = hidden < units.count
                let outputs = isHidden ? mask.keptUnits[hidden] : Array(0..<conv.outputChannels)
                let taps = conv.kernelSize * conv.kernelSize
                for o in outputs {
                    for c in channels {
                        let start = base + (o * conv.inputChannels + c) * taps
                        for t in 0..<taps { indices.append(Int32(start + t)) }
                    }
                }
                for o in outputs {
                    indices.append(Int32(base + conv.outputChannels * conv.inputChannels * taps + o))
                }
                newLayers.append(Conv2d(conv.name, inputChannels: channels.count, outputChannels: outputs.count,
                                        kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding,
                                        initialization: conv.initialization))
                kept = isHidden ? outputs : nil
                if isHidden { hidden += 1 }
            case is Flatten:
                if let channels = kept {
                    let perChannel = shape.dropFirst().reduce(1, *)
                    kept = channels.flatMap { c in (c * perChannel)..<((c + 1) * perChannel) }
                }
                newLayers.append(layer)
            case is ReLU, is Tanh, is Sigmoid, is MaxPool2d:
                newLayers.append(layer)
            default:
                throw .subModel("layer \(layer.name) cannot be thinned")
            }
            shape = try layer.outputShape(for: shape)
        }
        var sub = try Sequential(kind: kind, inputShape: inputShape, layers: newLayers, seed: 0)
        precondition(sub.parameterCount == indices.count, "sub-model layout and its index map disagree")
        let map = SubModel(mask: mask, model: sub, indices: indices, fullCount: parameterCount)
        sub.parameters = map.gather(parameters)
        return SubModel(mask: mask, model: sub, indices: indices, fullCount: parameterCount)
    }
}
