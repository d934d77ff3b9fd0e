import Federation
import Foundation
import GRPCCore
import SecureAggregation

/// The session a hospital process is in, as its last secure training opened it: what every later
/// step must name.
struct SecureSessionRecord: Sendable, Equatable {
    /// The console's run (the signed ModelHeader's run id).
    var runID: String
    /// The SecAgg session's own run id (it binds the session keys).
    var sessionID: String
    var round: Int
    var participant: UInt32
}

/// Secure aggregation in the hospital process: the four calls of one session, answered by the
/// served hospital's seat (``SecureAggregationHospital``).
///
/// Contract:
/// - SecureTrain is admitted, checked and paid for exactly as Train (rate and concurrency limits, one
///   training at a time, the model zoo's shapes, the settings within ``WorkLimits``, the console's
///   signature over model, settings and session, a fresh nonce, the ledger written first); besides,
///   the session must fit the hospital's limits (hospitals, neighbours, input length = parameters + 1,
///   2…31 quantisation bits, a threshold ``SecAggParameters`` accepts). It returns metrics and public
///   keys; the update stays in the seat. A new secure training replaces the previous session.
/// - ShareKeys, MaskedInput and Unmask carry a ``SecureStepSignature`` (checked like a model's, nonce
///   included) and must name the current session (console run, session id, round). Sizes are
///   bounded before any work: the roster by ``WorkLimits/maxSecureParticipants``, the shares by
///   ``WorkLimits/maxSecureNeighbours``, the whole request by the server's message limit.
/// - To the peer, errors are generic: INVALID_ARGUMENT "bad request" (malformed, out of bounds),
///   PERMISSION_DENIED "not authorised" (signature, replay), FAILED_PRECONDITION "secure aggregation
///   step refused" (another session, out of order, repeated, a request the protocol forbids); the
///   detail goes to the log and the audit log.
/// - The protocol work (sealing, PRG expansion) runs on the service's work queue, off Swift's pool.
extension HospitalService {
    // MARK: - SecureTrain (round 0)

    public func secureTrain(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>,
                            context: ServerContext) async throws -> Fedtop_V1_SecureTrainReply {
        try admit(context, "SecureTrain")
        defer { calls.leave() }
        guard training.enter() else {
            log.audit("refused", "SecureTrain from \(context.remotePeer) refused: already training")
            throw RPCError(code: .resourceExhausted, message: "busy")
        }
        defer { training.leave() }
        let model = try await receiveModel(request, purpose: .secureTrain, context: context)
        guard let settings = model.settings, let plan = model.plan else { throw RPCError(code: .invalidArgument, message: "bad request") }
        // From here the previous session is over: its steps are refused.
        secureSession = nil
        let hospital = self.hospital
        let architecture = model.architecture, parameters = model.parameters
        let receipt = try await runTraining(round: settings.round, what: "secure round", context: context,
                                            details: ["secure": "true"]) { progress throws(HospitalError) in
            try hospital.trainSecurely(architecture: architecture, globalModel: parameters, settings: settings, plan: plan,
                                       progress: progress)
        }
        secureSession = SecureSessionRecord(runID: model.runID, sessionID: plan.parameters.runID, round: settings.round,
                                            participant: plan.participant)
        let spend = settings.samplePrivacy != nil ? hospital.plannedSpend(settings) : nil
        var spendText = "no DP-SGD"
        if let spend {
            spendText = "spent (q \(spend.sampleRate), σ \(spend.noiseMultiplier), \(spend.steps) steps), ε now \(String(format: "%.4f", receipt.epsilonSpent ?? 0))"
        }
        let p = plan.parameters
        let noise = plan.encoding.noiseVariance > 0 ? String(format: ", Skellam noise of variance %.4g added", plan.encoding.noiseVariance) : ""
        log.audit("trained", "round \(settings.round) trained for \(context.remotePeer) in \(String(format: "%.2f", receipt.seconds)) s "
                  + "for secure aggregation (participant \(plan.participant) of \(p.graph), t = \(p.threshold), "
                  + "\(plan.encoding.quantizer.bits)-bit\(noise); the update stays here); \(spendText)",
                  details: ["round": "\(settings.round)", "epsilon": "\(receipt.epsilonSpent ?? 0)", "secure": "true"])
        var reply = Fedtop_V1_SecureTrainReply()
        reply.round = UInt64(receipt.round)
        reply.keys = WireFormat.message(receipt.keys)
        reply.trainLoss = receipt.trainLoss
        reply.clippedFraction = receipt.clippedFraction
        reply.clippedCoordinates = UInt64(max(0, receipt.clippedCoordinates))
        if let spend { reply.spend = WireFormat.message(spend) }
        reply.epsilonSpent = receipt.epsilonSpent ?? 0
        reply.secureNoise = receipt.secureNoise
        reply.seconds = receipt.seconds
        return reply
    }

    // MARK: - ShareKeys (round 1)

    public func shareKeys(request: Fedtop_V1_ShareKeysRequest, context: ServerContext) async throws -> Fedtop_V1_ShareKeysReply {
        try admit(context, "ShareKeys")
        defer { calls.leave() }
        let limit = configuration.limits.maxSecureParticipants
        let roster = try parse("ShareKeys", context) { () throws(TransportError) in
            guard request.roster.count <= limit else { throw TransportError("a roster of \(request.roster.count) (limit \(limit))") }
            var roster: [AdvertisedKeys] = []
            for k in request.roster { roster.append(try WireFormat.keys(k)) }
            return roster
        }
        let shares = try await step("ShareKeys", request.hasStep ? request.step : nil, .roster(roster), context) {
            (h: any ServableHospital, round: Int) throws(HospitalError) in try h.shareKeys(round: round, roster: roster)
        }
        log.info("ShareKeys for \(context.remotePeer): \(shares.count) sealed share(s) from a roster of \(roster.count)")
        return .with { $0.shares = shares.map(WireFormat.message) }
    }

    // MARK: - MaskedInput (round 2)

    public func maskedInput(request: Fedtop_V1_MaskedInputRequest, response: RPCWriter<Fedtop_V1_MaskedInputChunk>,
                            context: ServerContext) async throws {
        try admit(context, "MaskedInput")
        defer { calls.leave() }
        let limit = configuration.limits.maxSecureNeighbours
        let shares = try parse("MaskedInput", context) { () throws(TransportError) in
            guard request.shares.count <= limit else { throw TransportError("\(request.shares.count) shares (limit \(limit))") }
            var shares: [EncryptedShare] = []
            for s in request.shares { shares.append(try WireFormat.share(s)) }
            return shares
        }
        let masked = try await step("MaskedInput", request.hasStep ? request.step : nil, .shares(shares), context) {
            (h: any ServableHospital, round: Int) throws(HospitalError) in try h.maskedInput(round: round, shares: shares)
        }
        log.info("MaskedInput for \(context.remotePeer): \(masked.words.count) masked words from \(shares.count) neighbour share(s)")
        try await response.write(contentsOf: WireFormat.maskedInputChunks(masked))
    }

    // MARK: - Unmask (round 4)

    public func unmask(request: Fedtop_V1_UnmaskRequest, context: ServerContext) async throws -> Fedtop_V1_UnmaskReply {
        try admit(context, "Unmask")
        defer { calls.leave() }
        let limit = configuration.limits.maxSecureParticipants
        let unmasking = try parse("Unmask", context) { () throws(TransportError) in
            guard request.survivors.count + request.dropped.count <= limit else {
                throw TransportError("\(request.survivors.count) survivors and \(request.dropped.count) dropped (limit \(limit))")
            }
            return UnmaskingRequest(survivors: request.survivors, dropped: request.dropped)
        }
        let answer = try await step("Unmask", request.hasStep ? request.step : nil, .unmasking(unmasking), context) {
            (h: any ServableHospital, round: Int) throws(HospitalError) in try h.unmask(round: round, request: unmasking)
        }
        log.audit("unmasked", "Unmask for \(context.remotePeer): revealed self-mask shares of \(answer.selfMaskShares.count) "
                  + "surviving and mask-key shares of \(answer.maskKeyShares.count) dropped neighbour(s) "
                  + "(\(unmasking.survivors.count) survivors, \(unmasking.dropped.count) dropped)",
                  details: ["survivors": "\(unmasking.survivors.count)", "dropped": "\(unmasking.dropped.count)"])
        return WireFormat.message(answer)
    }

    // MARK: - Checks

    /// Reads a step's payload; what does not parse is refused as a bad request (detail to the audit log).
    private func parse<T>(_ method: String, _ context: ServerContext,
                          _ body: () throws(TransportError) -> T) throws -> T {
        do { return try body() } catch {
            log.audit("refused", "\(method) from \(context.remotePeer) refused: \(error)")
            throw RPCError(code: .invalidArgument, message: "bad request")
        }
    }

    /// Checks a step's header (signature over the payload, a fresh nonce, the current session) and runs
    /// the protocol step on the work queue.
    private func step<T: Sendable>(_ method: String, _ header: Fedtop_V1_SecureStep?, _ payload: SecureStepSignature.Payload,
                                   _ context: ServerContext,
                                   _ body: @escaping @Sendable (any ServableHospital, Int) throws(HospitalError) -> T) async throws -> T {
        let peer = context.remotePeer
        func refuse(_ code: RPCError.Code, _ detail: String) -> RPCError {
            log.audit("refused", "\(method) from \(peer) refused: \(detail)")
            switch code {
            case .permissionDenied: return RPCError(code: code, message: "not authorised")
            case .failedPrecondition: return RPCError(code: code, message: HospitalError.secureAggregation(hospital: "", reason: "").peerMessage)
            default: return RPCError(code: code, message: "bad request")
            }
        }
        guard let header else { throw refuse(.invalidArgument, "no step header") }
        guard (16...64).contains(header.nonce.count) else { throw refuse(.invalidArgument, "nonce of \(header.nonce.count) bytes") }
        guard header.sessionID.utf8.count <= WireFormat.maxSessionIDBytes, header.runID.utf8.count <= 1_024 else {
            throw refuse(.invalidArgument, "a session id of \(header.sessionID.utf8.count) bytes or a run id of \(header.runID.utf8.count)")
        }
        let round = WireFormat.int(header.round)
        if let key = configuration.modelKey {
            let signed = SecureStepSignature(runID: header.runID, sessionID: header.sessionID, round: round,
                                             nonce: Array(header.nonce), payload: payload)
            guard signed.verify(Array(header.signature), with: key) else {
                throw refuse(.permissionDenied, "the step's signature does not verify with the console's model-signing key "
                             + "(run \(header.runID.prefix(64)), round \(round))")
            }
        }
        guard rememberNonce(Array(header.nonce)) else { throw refuse(.permissionDenied, "a replayed request (nonce seen before)") }
        guard let session = secureSession else { throw refuse(.failedPrecondition, "no secure-aggregation session open (round \(round))") }
        guard session.runID == header.runID, session.sessionID == header.sessionID, session.round == round else {
            throw refuse(.failedPrecondition, "not the current session (asked: run \(header.runID.prefix(64)), session "
                         + "\(header.sessionID.prefix(64)), round \(round); current: round \(session.round))")
        }
        let hospital = self.hospital
        let outcome = await onWorkQueue { () throws(HospitalError) in try body(hospital, round) }
        switch outcome {
        case .success(let value): return value
        case .failure(let error):
            log.audit("refused", "\(method) from \(peer) refused: round \(round): \(error)", details: ["round": "\(round)"])
            throw RPCError(code: Self.code(for: error), message: error.peerMessage)
        }
    }
}
