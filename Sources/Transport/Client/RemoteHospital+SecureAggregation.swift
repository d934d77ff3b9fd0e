import Federation
import Foundation
import GRPCCore
import Privacy
import SecureAggregation
import TensorCore

/// The session a ``RemoteHospital`` is in: what its steps name and how long its masked input is.
struct RemoteSecureSession: Sendable, Equatable {
    var sessionID: String
    var round: Int
    var participant: UInt32
    var participants: Int
    var vectorLength: Int
}

/// A remote hospital in secure aggregation: SecureTrain, ShareKeys, MaskedInput and Unmask over the
/// same connection, signed with the console's model-signing key.
///
/// Contract:
/// - ``trainSecurely(globalModel:settings:plan:progress:)`` signs the model, the settings and the
///   session (``ModelSignature`` with purpose `secure-train`) and returns the hospital's receipt
///   (metrics, public keys) after checking it is for this round and participant, with 32-byte keys.
///   Its spend joins the hospital's history as Train's does.
/// - The steps sign their payload with the session (``SecureStepSignature``) and are made only for the
///   round of the last secure training; replies are checked for what the wire could corrupt (sizes,
///   the sender's id, the masked input's length) before the engine's ``SecAggServer`` checks the rest.
/// - Every call has a deadline (``Options/trainTimeout`` for training, ``Options/secureStepTimeout`` for
///   the steps); an offline hospital fails at once with ``HospitalError/offline(hospital:)``; a refused
///   step is ``HospitalError/secureAggregation(hospital:reason:)``, a budget refusal of the training
///   ``HospitalError/budgetExhausted(hospital:spent:next:budget:)``.
/// - Blocking: call from a Dispatch thread, never from Swift's cooperative pool (``Blocking``).
extension RemoteHospital: SecureAggregationHospital {
    public func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                              progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        guard isConnected else { throw .offline(hospital: name) }
        guard lock.withLock({ introduction.offersSecureAggregation }) else {
            throw .secureAggregation(hospital: name, reason: "the hospital does not offer secure aggregation (its Hello)")
        }
        let started = ContinuousClock.now
        let header = try signedHeader(globalModel, purpose: .secureTrain, settings: settings, plan: plan)
        lock.withLock {
            secureSession = nil
            progressHandler = progress
        }
        defer { lock.withLock { progressHandler = nil } }
        let client = self.client
        let chunks = WireFormat.modelChunks(header, globalModel)
        let call = callOptions(timeout: options.trainTimeout)
        let reply: Fedtop_V1_SecureTrainReply
        do {
            reply = try Blocking.run {
                try await client.secureTrain(options: call, requestProducer: { try await $0.write(contentsOf: chunks) })
            }
        } catch {
            throw mapFailure(error, settings: settings, secure: true)
        }
        guard WireFormat.int(reply.round) == settings.round else {
            throw .failed(hospital: name, reason: "the secure-training reply is labelled round \(reply.round), not \(settings.round)")
        }
        if let problem = PeerValues.problem(secureReply: reply, parameters: globalModel.count) {
            throw .failed(hospital: name, reason: "bad reply: \(problem)")
        }
        let keys: AdvertisedKeys
        do { keys = try WireFormat.keys(reply.keys) } catch { throw .secureAggregation(hospital: name, reason: "bad reply: \(error)") }
        guard keys.participant == plan.participant else {
            throw .secureAggregation(hospital: name, reason: "keys advertised as participant \(keys.participant), not \(plan.participant)")
        }
        var spend: PrivacySegment?
        if reply.hasSpend {
            do { spend = try WireFormat.segment(reply.spend) } catch { throw .failed(hospital: name, reason: error.description) }
        }
        if settings.samplePrivacy != nil && spend == nil {
            throw .failed(hospital: name, reason: "the hospital reported no DP-SGD spend for a DP-SGD round")
        }
        if let spend, let problem = PeerValues.problem(spend: spend, settings: settings, trainRecords: trainRecords) {
            throw .failed(hospital: name, reason: "bad reply: \(problem)")
        }
        lock.withLock {
            introduction.summary.epsilonSpent = max(introduction.summary.epsilonSpent, reply.epsilonSpent)
            if let spend { introduction.history.append(spend) }
            secureSession = RemoteSecureSession(sessionID: plan.parameters.runID, round: settings.round, participant: plan.participant,
                                                participants: plan.parameters.graph.count,
                                                vectorLength: plan.parameters.vectorLength)
        }
        return SecureTrainingReceipt(hospital: name, round: settings.round, keys: keys, trainLoss: reply.trainLoss,
                                     clippedFraction: reply.clippedFraction, clippedCoordinates: WireFormat.int(reply.clippedCoordinates),
                                     epsilonSpent: settings.samplePrivacy != nil ? reply.epsilonSpent : nil,
                                     secureNoise: reply.secureNoise, seconds: started.duration(to: .now) / .seconds(1))
    }

    public func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare] {
        let (session, step) = try signedStep(round: round, payload: .roster(roster))
        var request = Fedtop_V1_ShareKeysRequest()
        request.step = step
        request.roster = roster.map(WireFormat.message)
        let message = request
        let client = self.client, call = callOptions(timeout: options.secureStepTimeout)
        let limit = session.participants
        do {
            return try Blocking.run {
                try await client.shareKeys(message, options: call) { response in
                    let reply = try response.message
                    guard reply.shares.count < limit else { throw TransportError("\(reply.shares.count) shares in a session of \(limit)") }
                    var shares: [EncryptedShare] = []
                    for s in reply.shares {
                        let share = try WireFormat.share(s)
                        guard share.from == session.participant else {
                            throw TransportError("a share from \(share.from), not from participant \(session.participant)")
                        }
                        shares.append(share)
                    }
                    return shares
                }
            }
        } catch {
            throw mapFailure(error, settings: nil, secure: true)
        }
    }

    public func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput {
        let (session, step) = try signedStep(round: round, payload: .shares(shares))
        var request = Fedtop_V1_MaskedInputRequest()
        request.step = step
        request.shares = shares.map(WireFormat.message)
        let message = request
        let client = self.client, call = callOptions(timeout: options.secureStepTimeout)
        do {
            return try Blocking.run {
                try await client.maskedInput(message, options: call) { response in
                    var assembler: WordChunks.Assembler?
                    for try await chunk in response.messages {
                        if assembler == nil {
                            guard chunk.hasHeader else { throw TransportError("the masked input's first chunk has no header") }
                            guard chunk.header.participant == session.participant,
                                  WireFormat.int(chunk.header.wordCount) == session.vectorLength else {
                                throw TransportError("a masked input of \(chunk.header.wordCount) words from participant "
                                                     + "\(chunk.header.participant); expected \(session.vectorLength) from \(session.participant)")
                            }
                            assembler = WordChunks.Assembler(expected: session.vectorLength)
                        } else if chunk.hasHeader {
                            throw TransportError("a second masked-input header")
                        }
                        try assembler?.append(chunk.words)
                    }
                    guard let assembler else { throw TransportError("no masked input received") }
                    return MaskedInput(participant: session.participant, words: try assembler.finish())
                }
            }
        } catch {
            throw mapFailure(error, settings: nil, secure: true)
        }
    }

    public func unmask(round: Int, request unmasking: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse {
        let (session, step) = try signedStep(round: round, payload: .unmasking(unmasking))
        var request = Fedtop_V1_UnmaskRequest()
        request.step = step
        request.survivors = unmasking.survivors
        request.dropped = unmasking.dropped
        let message = request
        let client = self.client, call = callOptions(timeout: options.secureStepTimeout)
        do {
            return try Blocking.run {
                try await client.unmask(message, options: call) { response in
                    let reply = try response.message
                    guard reply.participant == session.participant else {
                        throw TransportError("an unmasking reply from participant \(reply.participant), not \(session.participant)")
                    }
                    guard reply.selfMaskShares.count + reply.maskKeyShares.count <= session.participants else {
                        throw TransportError("\(reply.selfMaskShares.count + reply.maskKeyShares.count) shares in a session of \(session.participants)")
                    }
                    var selfMask: [HeldShare] = [], maskKey: [HeldShare] = []
                    for h in reply.selfMaskShares { selfMask.append(try WireFormat.heldShare(h)) }
                    for h in reply.maskKeyShares { maskKey.append(try WireFormat.heldShare(h)) }
                    return UnmaskingResponse(participant: reply.participant, selfMaskShares: selfMask, maskKeyShares: maskKey)
                }
            }
        } catch {
            throw mapFailure(error, settings: nil, secure: true)
        }
    }

    /// The session of `round` and a signed step header over `payload`.
    private func signedStep(round: Int, payload: SecureStepSignature.Payload) throws(HospitalError) -> (RemoteSecureSession, Fedtop_V1_SecureStep) {
        guard isConnected else { throw .offline(hospital: name) }
        guard let session = lock.withLock({ secureSession }), session.round == round else {
            throw .secureAggregation(hospital: name, reason: "no secure-aggregation session for round \(round) with this hospital")
        }
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = generator.next() }
        let signed = SecureStepSignature(runID: runID, sessionID: session.sessionID, round: round, nonce: nonce, payload: payload)
        var step = Fedtop_V1_SecureStep()
        step.runID = runID
        step.sessionID = session.sessionID
        step.round = UInt64(max(0, round))
        step.nonce = Data(nonce)
        if let signingKey { step.signature = Data(signed.sign(with: signingKey)) }
        return (session, step)
    }
}
