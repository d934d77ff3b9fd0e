import Federation
import Foundation
import Privacy
import TensorCore

/// Conversions between the `.proto`'s messages and the engine's values, in one place, so the hospital
/// process and ``RemoteHospital`` read and write the same fields the same way.
///
/// Contract: ``roundSettings(_:)`` and the other readers accept any message a peer could send and never
/// trap: counts beyond `Int` are clamped to `Int.max` (then refused by the bounds checks), absent
/// optional groups read as nil.
enum WireFormat {
    static let protocolVersion: UInt32 = 1

    static func int(_ value: UInt64) -> Int { value > UInt64(Int.max) ? Int.max : Int(value) }

    static func message(_ s: RoundSettings) -> Fedtop_V1_RoundSettings {
        var m = Fedtop_V1_RoundSettings()
        m.round = UInt64(max(0, s.round))
        m.localEpochs = UInt32(clamping: s.localEpochs)
        m.batchSize = UInt32(clamping: s.batchSize)
        m.learningRate = s.learningRate
        m.momentum = s.momentum
        m.proximalMu = s.proximalMu
        if let p = s.samplePrivacy {
            m.samplePrivacy = .with {
                $0.noiseMultiplier = p.noiseMultiplier
                $0.clipNorm = p.clipNorm
            }
        }
        if let mask = s.subModel {
            m.subModel = .with { sub in
                sub.layers = mask.keptUnits.map { units in .with { $0.units = units.map { UInt32(clamping: $0) } } }
            }
        }
        return m
    }

    static func roundSettings(_ m: Fedtop_V1_RoundSettings) -> RoundSettings {
        RoundSettings(round: int(m.round), localEpochs: Int(m.localEpochs), batchSize: Int(m.batchSize),
                      learningRate: m.learningRate, momentum: m.momentum,
                      samplePrivacy: m.hasSamplePrivacy
                          ? .init(noiseMultiplier: m.samplePrivacy.noiseMultiplier, clipNorm: m.samplePrivacy.clipNorm) : nil,
                      proximalMu: m.proximalMu,
                      subModel: m.hasSubModel ? SubModelMask(keptUnits: m.subModel.layers.map { $0.units.map { Int($0) } }) : nil)
    }

    static func message(_ p: HospitalPolicy) -> Fedtop_V1_HospitalPolicy {
        .with {
            $0.dpSgdRequired = p.requiresDPSGD
            $0.minNoiseMultiplier = p.minNoiseMultiplier
            if let c = p.maxClipNorm { $0.maxClipNorm = c }
            if let e = p.maxRoundEpsilon { $0.maxRoundEpsilon = e }
            if let n = p.evaluationsPerRound { $0.evaluationsPerRound = UInt32(clamping: n) }
            $0.minEvaluationRecords = UInt32(clamping: p.minEvaluationRecords)
        }
    }

    /// A hospital's announced policy, or an error when a number in it is not a valid rule.
    static func policy(_ m: Fedtop_V1_HospitalPolicy) throws(TransportError) -> HospitalPolicy {
        let p = HospitalPolicy(requiresDPSGD: m.dpSgdRequired, minNoiseMultiplier: m.minNoiseMultiplier,
                               maxClipNorm: m.hasMaxClipNorm ? m.maxClipNorm : nil,
                               maxRoundEpsilon: m.hasMaxRoundEpsilon ? m.maxRoundEpsilon : nil,
                               evaluationsPerRound: m.hasEvaluationsPerRound ? Int(m.evaluationsPerRound) : nil,
                               minEvaluationRecords: Int(m.minEvaluationRecords))
        if let problem = p.problem { throw TransportError("its privacy policy is not valid: \(problem)") }
        return p
    }

    static func message(_ s: PrivacySegment) -> Fedtop_V1_PrivacySegment {
        .with {
            $0.sampleRate = s.sampleRate
            $0.noiseMultiplier = s.noiseMultiplier
            $0.steps = UInt64(max(0, s.steps))
        }
    }

    static func segment(_ m: Fedtop_V1_PrivacySegment) throws(TransportError) -> PrivacySegment {
        do {
            return try PrivacySegment(sampleRate: m.sampleRate, noiseMultiplier: m.noiseMultiplier, steps: int(m.steps))
        } catch {
            throw TransportError("a privacy segment \(m.sampleRate):\(m.noiseMultiplier):\(m.steps) is not valid: \(error)")
        }
    }

    /// A model's messages: its values in chunks, the header on the first.
    static func modelChunks(_ header: Fedtop_V1_ModelHeader, _ parameters: Tensor) -> [Fedtop_V1_ModelChunk] {
        FloatChunks.split(parameters).enumerated().map { i, values in
            var chunk = Fedtop_V1_ModelChunk()
            if i == 0 { chunk.header = header }
            chunk.values = values
            return chunk
        }
    }

    /// An update's messages: its values in chunks, the header on the first.
    static func updateChunks(_ header: Fedtop_V1_UpdateHeader, _ delta: Tensor) -> [Fedtop_V1_UpdateChunk] {
        FloatChunks.split(delta).enumerated().map { i, values in
            var chunk = Fedtop_V1_UpdateChunk()
            if i == 0 { chunk.header = header }
            chunk.values = values
            return chunk
        }
    }

    static func shapes(of model: Sequential) -> [(name: String, dims: [Int])] {
        var result: [(name: String, dims: [Int])] = []
        for layer in model.layers {
            for spec in layer.parameterSpecs { result.append((name: "\(layer.name).\(spec.name)", dims: spec.shape)) }
        }
        return result
    }

    static func message(_ shapes: [(name: String, dims: [Int])]) -> [Fedtop_V1_TensorShape] {
        shapes.map { s in .with { $0.name = s.name; $0.dims = s.dims.map { UInt64($0) } } }
    }

    static func shapes(_ m: [Fedtop_V1_TensorShape]) -> [(name: String, dims: [Int])] {
        m.map { (name: $0.name, dims: $0.dims.map(int)) }
    }

    static func metrics(_ m: Fedtop_V1_EvaluateReply) -> EvaluationMetrics {
        EvaluationMetrics(count: int(m.count), loss: m.loss, accuracy: m.accuracy, auc: m.hasAuc ? m.auc : nil)
    }

    static func message(_ e: EvaluationMetrics) -> Fedtop_V1_EvaluateReply {
        .with {
            $0.count = UInt64(max(0, e.count))
            $0.loss = e.loss
            $0.accuracy = e.accuracy
            if let auc = e.auc {
                $0.auc = auc
            }
        }
    }

    static func message(_ status: HospitalStatus) -> Fedtop_V1_StatusUpdate.State {
        switch status {
        case .training: .training
        case .budgetExhausted: .budgetExhausted
        case .failed: .failed
        case .idle, .offline, .dropped: .idle
        }
    }

    static func status(_ state: Fedtop_V1_StatusUpdate.State) -> HospitalStatus {
        switch state {
        case .training: .training
        case .budgetExhausted: .budgetExhausted
        case .failed: .failed
        case .idle, .UNRECOGNIZED: .idle
        }
    }
}
