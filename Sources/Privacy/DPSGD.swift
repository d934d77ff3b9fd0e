import TensorCore

/// The settings of sample-level DP-SGD, validated when created.
public struct DPSGDSettings: Sendable, Equatable {
    /// σ ≥ 0: noise standard deviation as a multiple of the clip norm.
    public var noiseMultiplier: Double
    /// C > 0: each sample's gradient is clipped to this L2 norm.
    public var clipNorm: Double
    /// q in (0, 1]: each record joins a step's batch independently with this probability.
    public var sampleRate: Double

    public init(noiseMultiplier: Double, clipNorm: Double, sampleRate: Double) throws(PrivacyError) {
        guard noiseMultiplier >= 0, noiseMultiplier.isFinite else {
            throw .invalidSetting(name: "noise multiplier σ", value: noiseMultiplier, expected: "σ ≥ 0")
        }
        guard clipNorm > 0, clipNorm.isFinite else {
            throw .invalidSetting(name: "clip norm C", value: clipNorm, expected: "C > 0")
        }
        guard sampleRate > 0, sampleRate <= 1 else {
            throw .invalidSetting(name: "sample rate q", value: sampleRate, expected: "0 < q ≤ 1")
        }
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.sampleRate = sampleRate
    }
}

/// Sample-level DP-SGD (Abadi et al. 2016, "Deep learning with differential privacy") with Poisson
/// subsampling, as the RDP accountant assumes (Mironov, Talwar & Zhang 2019).
///
/// Contract, per step:
/// 1. every record joins the batch independently with probability q (batch sizes vary, and may be 0);
/// 2. each sample's gradient is clipped to C (``GradientComputer``);
/// 3. N(0, σ²C²) noise is added to every coordinate of the clipped sum, drawn from ChaCha20 streams
///    under one key — from the kernel (``ChaCha20Generator/secureKey()``) unless the run is seeded;
/// 4. the sum is divided by the *expected* batch size q·N (not the realised one, which would leak it);
/// 5. the optimiser steps. The caller accounts one step of (q, σ) per call.
///
/// With ``adversarial`` set, step 1's batch has some of its records replaced by adversarial examples
/// against the current model before step 2 (``AdversarialTraining``: one example per record, so the
/// accounting is the same).
public struct DPSGD {
    public var settings: DPSGDSettings
    /// Adversarial training inside the steps, or nil for clean batches.
    public var adversarial: AdversarialTraining?
    /// Whether the noise is secure (false for seeded, reproducible runs: ε reported for those says so).
    public let isSecure: Bool
    private let key: [UInt8]
    private var sampler: ChaCha20Generator
    private var step: UInt64 = 0
    /// Seeds which records of a step become adversarial and PGD's start: part of the mechanism's secret
    /// randomness, like the noise (see ``AdversarialTraining``).
    private let adversarialSeed: UInt64
    /// Noise is drawn in this many parallel streams per step, whatever the core count, so a seeded
    /// run draws the same noise on any machine.
    public static let noiseStreams = 8

    /// DP-SGD with noise keyed from the kernel (`seed == nil`), or reproducible from `seed`.
    public init(settings: DPSGDSettings, seed: UInt64? = nil) throws(SecureRandomError) {
        self.settings = settings
        if let seed {
            key = ChaCha20Generator.seededKey(seed)
            isSecure = false
        } else {
            key = try ChaCha20Generator.secureKey()
            isSecure = true
        }
        // Stream 0 draws the Poisson samples; noise streams start at 1.
        sampler = ChaCha20Generator(key: key, stream: 0, secure: isSecure)
        // A stream of its own (the last one), so the key itself never seeds anything else.
        var adversarialStream = ChaCha20Generator(key: key, stream: .max, secure: isSecure)
        adversarialSeed = adversarialStream.next()
    }

    /// The records of one Poisson-subsampled batch out of `count`.
    public mutating func sampleBatch(from count: Int) -> [Int] {
        let q = settings.sampleRate
        if q >= 1 { return Array(0..<count) }
        let threshold = UInt64((q * 18_446_744_073_709_551_616.0).rounded(.down))  // q · 2⁶⁴
        return (0..<count).filter { _ in sampler.next() < threshold }
    }

    /// One step on `model`; returns the batch's gradient report (loss, clipped count, batch size), its
    /// `gradient` being the update the optimizer was given: the noised clipped sum over q·n.
    @discardableResult
    public mutating func step<O: Optimizer>(model: inout Sequential, features: Tensor, labels: [Int],
                                            optimizer: inout O, computer: GradientComputer) -> BatchGradient {
        let n = labels.count
        let batch = sampleBatch(from: n)
        var result: BatchGradient
        if batch.isEmpty {
            result = BatchGradient(gradient: Tensor(shape: [model.parameterCount]), lossSum: 0, correct: 0,
                                   count: 0, clippedCount: 0, perSampleNorms: [])
        } else {
            let batchLabels = batch.map { labels[$0] }
            var inputs = features.gathering(batch)
            if let adversarial {
                inputs = adversarial.mix(model: model, inputs: inputs, labels: batchLabels, seed: adversarialSeed &+ step)
            }
            result = computer.compute(model: model, inputs: inputs, labels: batchLabels, clipNorm: Float(settings.clipNorm))
        }
        step += 1
        let std = Float(settings.noiseMultiplier * settings.clipNorm)
        if std > 0 {
            let key = self.key, secure = isSecure, round = step, streams = UInt64(DPSGD.noiseStreams)
            result.gradient.withUnsafeMutableBufferPointer {
                // On the computer's threads: one, for a hospital holding one of the shared cores.
                GaussianSampler.addNoise(to: $0, std: std, chunks: DPSGD.noiseStreams, threads: computer.workers) { chunk in
                    ChaCha20Generator(key: key, stream: 1 + (round - 1) * streams + UInt64(chunk), secure: secure)
                }
            }
        }
        // In place: the computer's fresh gradient is the only reference, so the update costs no copy.
        result.gradient.scale(by: Float(1 / (settings.sampleRate * Double(n))))
        optimizer.step(parameters: &model.parameters, gradient: result.gradient)
        return result
    }
}
