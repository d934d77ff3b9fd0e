import Federation
import Foundation
import SecureAggregation

/// Secure aggregation's messages on the wire, read and written in one place by the hospital process
/// and ``RemoteHospital``.
///
/// Contract: every reader accepts any message a peer could send and never traps; what does not fit
/// the protocol (a key that is not 32 bytes, a share beyond ``maxCiphertextBytes``, a session outside
/// the hospital's ``WorkLimits``) throws a ``TransportError`` naming it, for the local log only.
extension WireFormat {
    /// Largest sealed share accepted (a sealed share bundle is 110 bytes).
    static let maxCiphertextBytes = 1_024
    /// Most field elements in one held share (a 32-byte secret is 5 chunks of 7 bytes).
    static let maxShareValues = 64
    /// Longest session id accepted (the engine's is a UUID).
    static let maxSessionIDBytes = 256

    // MARK: - Session

    static func message(_ plan: SecureRoundPlan) -> Fedtop_V1_SecureSession {
        let p = plan.parameters, e = plan.encoding
        var m = Fedtop_V1_SecureSession()
        m.sessionID = p.runID
        m.round = UInt64(max(0, p.round))
        m.participants = UInt32(clamping: p.graph.count)
        m.degree = UInt32(clamping: p.graph.degree)
        m.threshold = UInt32(clamping: p.threshold)
        m.vectorLength = UInt64(max(0, p.vectorLength))
        m.participant = plan.participant
        m.encoding = .with {
            $0.bits = UInt32(clamping: e.quantizer.bits)
            $0.clipRange = e.quantizer.clipRange
            if let cap = e.weightCap { $0.weightCap = UInt64(max(0, cap)) }
            if let clip = e.l2Clip { $0.l2Clip = clip }
            $0.noiseVariance = e.noiseVariance
        }
        return m
    }

    /// The session a console asks a hospital to join, checked against the hospital's limits and the
    /// protocol's own rules (``SecAggParameters``, ``Quantizer``).
    static func plan(_ m: Fedtop_V1_SecureSession, limits: WorkLimits) throws(TransportError) -> SecureRoundPlan {
        let n = Int(m.participants), k = Int(m.degree)
        guard !m.sessionID.isEmpty, m.sessionID.utf8.count <= maxSessionIDBytes else {
            throw TransportError("a session id of \(m.sessionID.utf8.count) bytes")
        }
        guard (2...max(2, limits.maxSecureParticipants)).contains(n) else {
            throw TransportError("a session of \(n) hospitals (the limit is \(limits.maxSecureParticipants))")
        }
        guard k <= limits.maxSecureNeighbours else {
            throw TransportError("\(k) neighbours per hospital exceed the limit \(limits.maxSecureNeighbours)")
        }
        guard (1...UInt32(n)).contains(m.participant) else { throw TransportError("participant \(m.participant) of \(n)") }
        guard m.vectorLength >= 1, m.vectorLength <= UInt64(limits.maxParameters) + 1 else {
            throw TransportError("an input of \(m.vectorLength) words exceeds the limit \(limits.maxParameters + 1)")
        }
        let graph: CommunicationGraph
        do {
            graph = k == n - 1 ? .complete(n) : try .harary(n, degree: k)
        } catch {
            throw TransportError("graph of \(n) hospitals with \(k) neighbours each: \(error)")
        }
        guard graph.count == n, graph.degree == k else { throw TransportError("no graph of \(n) hospitals with \(k) neighbours each") }
        let e = m.encoding
        let quantizer: Quantizer
        do { quantizer = try Quantizer(clipRange: e.clipRange, bits: Int(e.bits)) } catch { throw TransportError("\(error)") }
        var weightCap: Int?
        if e.hasWeightCap {
            guard e.weightCap >= 1, e.weightCap <= UInt64(Int32.max) else { throw TransportError("a weight cap of \(e.weightCap)") }
            weightCap = Int(e.weightCap)
        }
        var l2Clip: Double?
        if e.hasL2Clip {
            guard e.l2Clip > 0, e.l2Clip.isFinite else { throw TransportError("an L2 clip of \(e.l2Clip)") }
            l2Clip = e.l2Clip
        }
        guard e.noiseVariance >= 0, e.noiseVariance.isFinite else { throw TransportError("a noise variance of \(e.noiseVariance)") }
        let parameters: SecAggParameters
        do {
            parameters = try SecAggParameters(runID: m.sessionID, round: int(m.round), graph: graph, threshold: Int(m.threshold),
                                              vectorLength: int(m.vectorLength))
        } catch {
            throw TransportError("\(error)")
        }
        return SecureRoundPlan(parameters: parameters, participant: m.participant,
                               encoding: SecureEncoding(quantizer: quantizer, weightCap: weightCap, l2Clip: l2Clip,
                                                        noiseVariance: e.noiseVariance))
    }

    // MARK: - Keys and shares

    static func message(_ k: AdvertisedKeys) -> Fedtop_V1_AdvertisedKeys {
        .with {
            $0.participant = k.participant
            $0.encryptionKey = Data(k.encryptionKey)
            $0.maskingKey = Data(k.maskingKey)
        }
    }

    static func keys(_ m: Fedtop_V1_AdvertisedKeys) throws(TransportError) -> AdvertisedKeys {
        guard m.encryptionKey.count == 32, m.maskingKey.count == 32 else {
            throw TransportError("keys of \(m.encryptionKey.count) and \(m.maskingKey.count) bytes for participant \(m.participant), not 32")
        }
        return AdvertisedKeys(participant: m.participant, encryptionKey: Array(m.encryptionKey), maskingKey: Array(m.maskingKey))
    }

    static func message(_ s: EncryptedShare) -> Fedtop_V1_EncryptedShare {
        .with {
            $0.sender = s.from
            $0.recipient = s.to
            $0.ciphertext = Data(s.ciphertext)
        }
    }

    static func share(_ m: Fedtop_V1_EncryptedShare) throws(TransportError) -> EncryptedShare {
        guard !m.ciphertext.isEmpty, m.ciphertext.count <= maxCiphertextBytes else {
            throw TransportError("a share of \(m.ciphertext.count) bytes from \(m.sender) to \(m.recipient)")
        }
        return EncryptedShare(from: m.sender, to: m.recipient, ciphertext: Array(m.ciphertext))
    }

    static func message(_ h: HeldShare) -> Fedtop_V1_HeldShare {
        .with {
            $0.owner = h.owner
            $0.point = h.share.point
            $0.values = h.share.values
        }
    }

    static func heldShare(_ m: Fedtop_V1_HeldShare) throws(TransportError) -> HeldShare {
        guard !m.values.isEmpty, m.values.count <= maxShareValues else {
            throw TransportError("a held share of \(m.values.count) values for owner \(m.owner)")
        }
        return HeldShare(owner: m.owner, share: ShamirShare(point: m.point, values: m.values))
    }

    static func message(_ r: UnmaskingResponse) -> Fedtop_V1_UnmaskReply {
        .with {
            $0.participant = r.participant
            $0.selfMaskShares = r.selfMaskShares.map(message)
            $0.maskKeyShares = r.maskKeyShares.map(message)
        }
    }

    // MARK: - Masked input

    /// A masked input's messages: its words in chunks of at most 1 MiB, the header on the first.
    static func maskedInputChunks(_ input: MaskedInput) -> [Fedtop_V1_MaskedInputChunk] {
        WordChunks.split(input.words).enumerated().map { i, bytes in
            var chunk = Fedtop_V1_MaskedInputChunk()
            if i == 0 {
                chunk.header = .with {
                    $0.participant = input.participant
                    $0.wordCount = UInt64(input.words.count)
                }
            }
            chunk.words = bytes
            return chunk
        }
    }
}

/// Vectors of 32-bit words on the wire (masked inputs): little-endian bytes in chunks of at most
/// ``FloatChunks/maxChunkBytes``, as ``FloatChunks`` does for models.
///
/// Contract: ``split(_:chunkBytes:)`` and an ``Assembler`` fed the chunks in order give back the same
/// words; the assembler refuses more words than announced, a chunk that is not whole words or beyond
/// 1 MiB, and (at ``Assembler/finish()``) fewer words than announced.
enum WordChunks {
    static func split(_ words: [UInt32], chunkBytes: Int = FloatChunks.maxChunkBytes) -> [Data] {
        precondition(chunkBytes >= 4 && chunkBytes % 4 == 0)
        let perChunk = chunkBytes / 4
        guard !words.isEmpty else { return [Data()] }
        return stride(from: 0, to: words.count, by: perChunk).map { start in
            var data = Data(capacity: min(perChunk, words.count - start) * 4)
            for w in words[start..<min(start + perChunk, words.count)] {
                withUnsafeBytes(of: w.littleEndian) { data.append(contentsOf: $0) }
            }
            return data
        }
    }

    struct Assembler {
        let expected: Int
        private(set) var words: [UInt32] = []

        /// - Parameter expected: the number of words the receiver expects (its own session's length).
        init(expected: Int) {
            self.expected = expected
            words.reserveCapacity(expected)
        }

        mutating func append(_ chunk: Data) throws(TransportError) {
            guard chunk.count % 4 == 0 else { throw TransportError("a chunk of \(chunk.count) bytes is not whole 32-bit words") }
            guard chunk.count <= FloatChunks.maxChunkBytes else {
                throw TransportError("a chunk of \(chunk.count) bytes exceeds \(FloatChunks.maxChunkBytes)")
            }
            let n = chunk.count / 4
            guard words.count + n <= expected else { throw TransportError("\(words.count + n) words received, \(expected) expected") }
            chunk.withUnsafeBytes { raw in
                for i in 0..<n { words.append(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
            }
        }

        func finish() throws(TransportError) -> [UInt32] {
            guard words.count == expected else { throw TransportError("\(words.count) words received, \(expected) expected") }
            return words
        }
    }
}
