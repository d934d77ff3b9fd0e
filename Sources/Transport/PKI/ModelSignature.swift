import Crypto
import Federation
import Foundation
import SecureAggregation
import TensorCore

/// The console's Ed25519 signature over a global model and what it is sent for.
///
/// Contract:
/// - The signed message is the SHA-256 digest of a canonical byte string (below), so a hospital
///   verifies exactly what it will train on: the purpose (train or evaluate), the run id, a fresh
///   nonce, the architecture, the round's settings, every parameter tensor's name and shape, and the
///   parameters' Float32 bits. Changing any of them, one bit of one weight included, breaks it.
/// - Canonical bytes: the ASCII tag `fedtop-model-v1`, then each field in the order above; strings and
///   byte strings as a little-endian UInt64 length and the bytes; integers as little-endian UInt64;
///   floats as their IEEE bits (Float32 as UInt32, Double as UInt64, little-endian); an optional
///   group as one byte 0/1 and then its fields; the parameters as their little-endian Float32 bytes.
///   A program in another language can rebuild it from the `.proto`'s fields.
/// - Secure training (purpose `secure-train`) signs the secure-aggregation session too: after the
///   settings group, one byte 0/1 and the session's fields (``secureSession``: its id, round, graph,
///   threshold, input length, this hospital's id and the encoding, in the `.proto`'s order). The bytes
///   of `train` and `evaluate` signatures carry no such group and are unchanged.
/// - A round under federated dropout signs its sub-model mask too: after the parameters, the string
///   `sub-model`, the hidden-layer count, then each layer's kept-unit count and units (integers). The
///   parameters' count fixes where they end, so a message with the group cannot read as one without it;
///   rounds without federated dropout carry no group and their bytes are unchanged.
/// - Ed25519 (RFC 8032) through swift-crypto; verification is strict (a malformed signature fails).
public struct ModelSignature: Sendable {
    /// What the model is sent for; a signature for one purpose does not verify for another.
    public enum Purpose: String, Sendable {
        case train, evaluate
        case secureTrain = "secure-train"
    }

    public var purpose: Purpose
    public var runID: String
    public var nonce: [UInt8]
    public var architecture: String
    public var settings: RoundSettings?
    public var shapes: [(name: String, dims: [Int])]
    /// The hospital's part in a secure-aggregation session: signed with purpose ``Purpose/secureTrain`` only.
    public var secureSession: SecureRoundPlan?

    public init(purpose: Purpose, runID: String, nonce: [UInt8], architecture: String, settings: RoundSettings?,
                shapes: [(name: String, dims: [Int])], secureSession: SecureRoundPlan? = nil) {
        self.purpose = purpose
        self.runID = runID
        self.nonce = nonce
        self.architecture = architecture
        self.settings = settings
        self.shapes = shapes
        self.secureSession = secureSession
    }

    /// The SHA-256 digest of the canonical bytes of these fields and `parameters`.
    public func digest(parameters: Tensor) -> [UInt8] {
        var hash = SHA256()
        var head = CanonicalBytes()
        head.append(string: "fedtop-model-v1")
        head.append(string: purpose.rawValue)
        head.append(string: runID)
        head.append(bytes: nonce)
        head.append(string: architecture)
        head.append(flag: settings != nil)
        if let s = settings {
            head.append(integer: UInt64(s.round))
            head.append(integer: UInt64(s.localEpochs))
            head.append(integer: UInt64(s.batchSize))
            head.append(float: s.learningRate)
            head.append(float: s.momentum)
            head.append(flag: s.samplePrivacy != nil)
            if let p = s.samplePrivacy {
                head.append(double: p.noiseMultiplier)
                head.append(double: p.clipNorm)
            }
            head.append(float: s.proximalMu)
        }
        if purpose == .secureTrain {
            head.append(flag: secureSession != nil)
            if let plan = secureSession { head.append(session: plan) }
        }
        head.append(integer: UInt64(shapes.count))
        for shape in shapes {
            head.append(string: shape.name)
            head.append(integer: UInt64(shape.dims.count))
            for d in shape.dims { head.append(integer: UInt64(d)) }
        }
        head.append(integer: UInt64(parameters.count))
        hash.update(data: head.bytes)
        parameters.withUnsafeBufferPointer { p in
            // Float32 is little-endian on every platform Swift runs fedtop on; the bytes are the wire's.
            hash.update(bufferPointer: UnsafeRawBufferPointer(p))
        }
        if let mask = settings?.subModel {
            var tail = CanonicalBytes()
            tail.append(string: "sub-model")
            tail.append(integer: UInt64(mask.keptUnits.count))
            for units in mask.keptUnits {
                tail.append(integer: UInt64(units.count))
                for u in units { tail.append(integer: UInt64(clamping: u)) }
            }
            hash.update(data: tail.bytes)
        }
        return Array(hash.finalize())
    }

    /// Signs these fields and `parameters` with the console's key.
    public func sign(parameters: Tensor, with key: ModelSigningKey) -> [UInt8] {
        key.signature(for: digest(parameters: parameters))
    }

    /// Whether `signature` is the console's over these fields and `parameters`.
    public func verify(_ signature: [UInt8], parameters: Tensor, with key: ModelVerifyingKey) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: digest(parameters: parameters))
    }
}

/// The canonical byte string of ``ModelSignature``.
struct CanonicalBytes {
    private(set) var bytes: [UInt8] = []

    mutating func append(integer: UInt64) { withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func append(float: Float) { withUnsafeBytes(of: float.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func append(double: Double) { append(integer: double.bitPattern) }
    mutating func append(flag: Bool) { bytes.append(flag ? 1 : 0) }
    mutating func append(bytes b: [UInt8]) {
        append(integer: UInt64(b.count))
        bytes.append(contentsOf: b)
    }
    mutating func append(string: String) { append(bytes: Array(string.utf8)) }
    mutating func append(unsigned value: some BinaryInteger) { append(integer: UInt64(clamping: value)) }

    /// A secure-aggregation session's fields, in the `.proto`'s order (``ModelSignature``).
    mutating func append(session plan: SecureRoundPlan) {
        let p = plan.parameters, e = plan.encoding
        append(string: p.runID)
        append(unsigned: p.round)
        append(unsigned: p.graph.count)
        append(unsigned: p.graph.degree)
        append(unsigned: p.threshold)
        append(unsigned: p.vectorLength)
        append(unsigned: plan.participant)
        append(unsigned: e.quantizer.bits)
        append(double: e.quantizer.clipRange)
        append(flag: e.weightCap != nil)
        if let cap = e.weightCap { append(unsigned: cap) }
        append(flag: e.l2Clip != nil)
        if let clip = e.l2Clip { append(double: clip) }
        append(double: e.noiseVariance)
    }
}
