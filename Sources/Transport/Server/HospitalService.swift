import Datasets
import Dispatch
import Federation
import Foundation
import GRPCCore
import Privacy
import SecureAggregation
import TensorCore

/// The gRPC service of a `fedtop hospital` process: it answers the federation's console for one
/// ``ServableHospital`` that holds the records, trains with DP-SGD and owns its policy, ledger and budget
/// (the production ``HospitalTrainer``; a ``LocalHospital`` wrapping one for `--simulate` demos).
///
/// Contract:
/// - No call returns a record. Hello gives counts, the privacy budget and spend history; Train gives a
///   (clipped, noised) update and aggregate metrics; Evaluate gives the test loss and accuracy.
/// - Before any work: the peer's call rate and the calls in flight are within limits (else
///   RESOURCE_EXHAUSTED, and one training at a time); the model's architecture is one of the model
///   zoo's, built here for this hospital's data, and the announced shapes and size match it; the
///   round's settings are within ``RoundSettings/problem`` and the hospital's ``WorkLimits``; the model
///   carries the console's Ed25519 signature over exactly these bytes (``ModelSignature``) with a
///   nonce not seen before (a replayed request is refused). Only then does the hospital train.
/// - A refused or failed call is answered with a generic status (the `.proto` lists them); the
///   detail, with the peer's address, goes to the ``HospitalLog`` (and the audit log).
/// - The spend is in the ledger (fsynced) before the first byte of the update is written.
/// - With `modelKey` nil (`--insecure`, loopback demos only) signatures are not checked; every
///   call says so in the log.
/// - Secure aggregation (SecureTrain, ShareKeys, MaskedInput, Unmask; see
///   `HospitalService+SecureAggregation.swift`): the same admission, signature and replay checks, the
///   session's bounds in ``WorkLimits``, one session at a time (the last secure training's).
public final class HospitalService: Fedtop_V1_Hospital.SimpleServiceProtocol, @unchecked Sendable {
    /// What the hospital tells about its data without a record.
    public struct DataFacts: Sendable {
        public var datasetName: String
        public var featureShape: [Int]
        public var classNames: [String]

        public init(datasetName: String, featureShape: [Int], classNames: [String]) {
            self.datasetName = datasetName
            self.featureShape = featureShape
            self.classNames = classNames
        }
    }

    public struct Configuration: Sendable {
        public var limits: WorkLimits
        /// The console's model-signing key; nil only with `--insecure`.
        public var modelKey: ModelVerifyingKey?
        public var rateLimiter: RateLimiter
        /// Calls in flight at once, Status streams excluded.
        public var maxConcurrentCalls: Int
        public var maxStatusStreams: Int
        /// Seconds between Status heartbeats (the current value, unchanged).
        public var heartbeat: Double

        public init(limits: WorkLimits = .standard, modelKey: ModelVerifyingKey?,
                    rateLimiter: RateLimiter = RateLimiter(), maxConcurrentCalls: Int = 4, maxStatusStreams: Int = 8,
                    heartbeat: Double = 1) {
            self.limits = limits
            self.modelKey = modelKey
            self.rateLimiter = rateLimiter
            self.maxConcurrentCalls = maxConcurrentCalls
            self.maxStatusStreams = maxStatusStreams
            self.heartbeat = heartbeat
        }
    }

    let hospital: any ServableHospital
    private let facts: DataFacts
    let configuration: Configuration
    let log: HospitalLog
    let board = StatusBoard()
    let calls: ConcurrencyLimit
    private let streams: ConcurrencyLimit
    /// One training at a time, plain or secure.
    let training = ConcurrencyLimit(limit: 1)
    private let work = DispatchQueue(label: "fedtop.hospital.work", qos: .userInitiated, attributes: .concurrent)
    private let lock = NSLock()
    private var templates: [String: Sequential] = [:]
    private var seenNonces: Set<[UInt8]> = []
    private var nonceOrder: [[UInt8]] = []
    /// The secure-aggregation session of the last secure training (guarded by `lock`).
    private var session: SecureSessionRecord?

    public init(hospital: any ServableHospital, facts: DataFacts, configuration: Configuration, log: HospitalLog) {
        self.hospital = hospital
        self.facts = facts
        self.configuration = configuration
        self.log = log
        calls = ConcurrencyLimit(limit: configuration.maxConcurrentCalls)
        streams = ConcurrencyLimit(limit: configuration.maxStatusStreams)
        board.update {
            $0.state = hospital.status
            $0.epsilonSpent = hospital.epsilonSpent
        }
    }

    /// Ends every Status stream (the process is shutting down).
    public func shutdown() { board.finishAll() }

    // MARK: - Hello

    public func hello(request: Fedtop_V1_HelloRequest, context: ServerContext) async throws -> Fedtop_V1_HelloReply {
        try admit(context, "Hello")
        defer { calls.leave() }
        let summary: HospitalSummary
        do { summary = try hospital.summary() } catch {
            log.info("Hello from \(context.remotePeer) failed: \(error)")
            throw RPCError(code: .internalError, message: "hello failed")
        }
        var reply = Fedtop_V1_HelloReply()
        reply.protocolVersion = WireFormat.protocolVersion
        reply.name = hospital.name
        reply.capabilities = ["train", "evaluate", "status"] + (summary.epsilonBudget != nil ? ["dp-sgd"] : [])
            + ["secure-aggregation", "federated-dropout"]
        reply.dataset = .with {
            $0.name = facts.datasetName
            $0.trainRecords = UInt64(summary.trainRecords)
            $0.testRecords = UInt64(summary.testRecords)
            $0.classCounts = summary.classCounts.map { UInt64($0) }
            $0.classNames = facts.classNames
            $0.featureShape = facts.featureShape.map { UInt32($0) }
        }
        reply.privacy = .with {
            $0.dpSgd = summary.epsilonBudget != nil
            $0.epsilonBudget = summary.epsilonBudget ?? 0
            $0.delta = summary.delta ?? 0
            $0.epsilonSpent = summary.epsilonSpent
            $0.secureNoise = summary.secureNoise
            $0.history = (hospital.accountant?.segments ?? []).map(WireFormat.message)
        }
        reply.policy = WireFormat.message(hospital.policy)
        if let a = summary.adversarial {
            reply.adversarial = .with {
                $0.spec = a.spec
                $0.ratio = a.ratio
            }
        }
        reply.limits = .with {
            $0.maxParameters = UInt64(configuration.limits.maxParameters)
            $0.maxStepsPerRound = UInt64(configuration.limits.maxStepsPerRound)
            $0.maxLocalEpochs = UInt32(configuration.limits.maxLocalEpochs)
            $0.maxBatchSize = UInt32(configuration.limits.maxBatchSize)
            $0.maxSecureParticipants = UInt32(clamping: configuration.limits.maxSecureParticipants)
            $0.maxSecureNeighbours = UInt32(clamping: configuration.limits.maxSecureNeighbours)
        }
        log.info("Hello from \(context.remotePeer)")
        return reply
    }

    // MARK: - Train

    public func train(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>, response: RPCWriter<Fedtop_V1_UpdateChunk>,
                      context: ServerContext) async throws {
        try admit(context, "Train")
        defer { calls.leave() }
        guard training.enter() else {
            log.audit("refused", "Train from \(context.remotePeer) refused: already training")
            throw RPCError(code: .resourceExhausted, message: "busy")
        }
        defer { training.leave() }
        let model = try await receiveModel(request, purpose: .train, context: context)
        guard let settings = model.settings else { throw RPCError(code: .invalidArgument, message: "bad request") }
        let hospital = self.hospital
        let architecture = model.architecture, parameters = model.parameters
        let update = try await runTraining(round: settings.round, what: "round", context: context, details: [:]) { progress throws(HospitalError) in
            try hospital.train(architecture: architecture, globalModel: parameters, settings: settings, progress: progress)
        }
        var spendText = "no DP-SGD"
        if let spend = update.spend {
            spendText = "spent (q \(spend.sampleRate), σ \(spend.noiseMultiplier), \(spend.steps) steps), ε now \(String(format: "%.4f", update.epsilonSpent ?? 0))"
        }
        log.audit("trained", "round \(settings.round) trained for \(context.remotePeer) in \(String(format: "%.2f", update.seconds)) s; \(spendText)",
                  details: ["round": "\(settings.round)", "epsilon": "\(update.epsilonSpent ?? 0)"])
        var header = Fedtop_V1_UpdateHeader()
        header.round = UInt64(update.round)
        header.parameterCount = UInt64(update.delta.count)
        header.sampleCount = UInt64(update.sampleCount)
        header.trainLoss = update.trainLoss
        header.clippedFraction = update.clippedFraction
        if let spend = update.spend { header.spend = WireFormat.message(spend) }
        header.epsilonSpent = update.epsilonSpent ?? 0
        header.secureNoise = update.secureNoise
        header.seconds = update.seconds
        try await response.write(contentsOf: WireFormat.updateChunks(header, update.delta))
    }

    // MARK: - Evaluate

    public func evaluate(request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>,
                         context: ServerContext) async throws -> Fedtop_V1_EvaluateReply {
        try admit(context, "Evaluate")
        defer { calls.leave() }
        let model = try await receiveModel(request, purpose: .evaluate, context: context)
        let hospital = self.hospital
        let outcome = await onWorkQueue { () throws(HospitalError) in
            try hospital.evaluate(architecture: model.architecture, globalModel: model.parameters)
        }
        switch outcome {
        case .success(let metrics): return WireFormat.message(metrics)
        case .failure(let error):
            if case .policyRefused = error {
                log.audit("refused", "Evaluate for \(context.remotePeer) refused: \(error)")
            } else {
                log.info("Evaluate for \(context.remotePeer) failed: \(error)")
            }
            throw RPCError(code: Self.code(for: error), message: error.peerMessage)
        }
    }

    // MARK: - Status

    public func status(request: Fedtop_V1_StatusRequest, response: RPCWriter<Fedtop_V1_StatusUpdate>,
                       context: ServerContext) async throws {
        guard configuration.rateLimiter.allow(Self.peerHost(context.remotePeer)) else {
            log.info("Status from \(context.remotePeer) refused: rate limit")
            throw RPCError(code: .resourceExhausted, message: "too many requests")
        }
        guard streams.enter() else {
            log.info("Status from \(context.remotePeer) refused: \(streams.limit) streams open")
            throw RPCError(code: .resourceExhausted, message: "too many requests")
        }
        defer { streams.leave() }
        let (id, stream) = board.subscribe()
        let board = self.board
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.heartbeat))
                board.repeatCurrent()
            }
        }
        defer { heartbeat.cancel() }
        try await withRPCCancellationHandler {
            for await value in stream {
                try await response.write(.with {
                    $0.state = WireFormat.message(value.state)
                    $0.round = UInt64(value.round)
                    $0.stepsDone = UInt64(value.stepsDone)
                    $0.stepsTotal = UInt64(value.stepsTotal)
                    $0.epsilonSpent = value.epsilonSpent
                })
            }
        } onCancelRPC: {
            board.unsubscribe(id)
        }
        board.unsubscribe(id)
    }

    /// Runs the hospital's blocking work on the work queue, off Swift's cooperative pool.
    /// One training on the work queue (the caller holds the one training slot), with the status board
    /// following its progress; a refusal is written to the audit log and answered with a generic status.
    func runTraining<T: Sendable>(round: Int, what: String, context: ServerContext, details: [String: String],
                                  _ body: @escaping @Sendable (@escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> T)
        async throws -> T {
        let board = self.board, hospital = self.hospital
        board.update {
            $0.state = .training
            $0.round = round
            $0.stepsDone = 0
            $0.stepsTotal = 0
        }
        let outcome = await onWorkQueue { () throws(HospitalError) in
            try body { p in
                board.update {
                    $0.stepsDone = p.stepsDone
                    $0.stepsTotal = p.stepsTotal
                }
            }
        }
        board.update {
            $0.state = hospital.status
            $0.epsilonSpent = hospital.epsilonSpent
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error):
            log.audit("train-failed", "\(what) \(round) for \(context.remotePeer) not trained: \(error)",
                      details: details.merging(["round": "\(round)"]) { a, _ in a })
            throw RPCError(code: Self.code(for: error), message: error.peerMessage)
        }
    }

    func onWorkQueue<T: Sendable>(_ body: @escaping @Sendable () throws(HospitalError) -> T) async -> Result<T, HospitalError> {
        await withCheckedContinuation { continuation in
            work.async {
                do throws(HospitalError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
    }

    // MARK: - Checks

    /// Admits a call within the peer's rate and the calls-in-flight limit (paired with `calls.leave()`).
    func admit(_ context: ServerContext, _ method: String) throws {
        guard configuration.rateLimiter.allow(Self.peerHost(context.remotePeer)) else {
            log.audit("refused", "\(method) from \(context.remotePeer) refused: rate limit")
            throw RPCError(code: .resourceExhausted, message: "too many requests")
        }
        guard calls.enter() else {
            log.audit("refused", "\(method) from \(context.remotePeer) refused: \(calls.limit) calls in flight")
            throw RPCError(code: .resourceExhausted, message: "too many requests")
        }
        if configuration.modelKey == nil { log.info("INSECURE: \(method) from \(context.remotePeer) without TLS or signatures") }
    }

    /// The peer's host without its port (`ipv4:10.0.0.5:53122` → `ipv4:10.0.0.5`): rate limits are per host.
    static func peerHost(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":"), peer.firstIndex(of: ":") != colon else { return peer }
        return String(peer[..<colon])
    }

    struct ReceivedModel {
        var architecture: Sequential
        var parameters: Tensor
        var settings: RoundSettings?
        /// The console's run id, as signed.
        var runID: String
        /// This hospital's part in a secure-aggregation session (SecureTrain only).
        var plan: SecureRoundPlan?
    }

    /// Reads a model's chunks, checking the header against this hospital's data and limits before
    /// taking the values, then the signature over all of it.
    func receiveModel(_ request: RPCAsyncSequence<Fedtop_V1_ModelChunk, any Error>, purpose: ModelSignature.Purpose,
                      context: ServerContext) async throws -> ReceivedModel {
        let peer = context.remotePeer
        func refuse(_ code: RPCError.Code, _ detail: String) -> RPCError {
            log.audit("refused", "\(purpose.rawValue) request from \(peer) refused: \(detail)")
            return RPCError(code: code, message: code == .permissionDenied ? "not authorised" : "bad request")
        }
        var iterator = request.makeAsyncIterator()
        guard let first = try await iterator.next() else { throw refuse(.invalidArgument, "no model sent") }
        guard first.hasHeader else { throw refuse(.invalidArgument, "the first chunk has no header") }
        let header = first.header
        let settings = header.hasSettings ? WireFormat.roundSettings(header.settings) : nil
        if purpose != .evaluate, settings == nil { throw refuse(.invalidArgument, "no round settings") }
        if purpose == .evaluate, settings != nil { throw refuse(.invalidArgument, "round settings on an evaluation") }
        if purpose != .secureTrain, header.hasSecureSession { throw refuse(.invalidArgument, "a secure session on \(purpose.rawValue)") }
        var plan: SecureRoundPlan?
        if purpose == .secureTrain {
            guard header.hasSecureSession else { throw refuse(.invalidArgument, "no secure session") }
            do { plan = try WireFormat.plan(header.secureSession, limits: configuration.limits) } catch {
                throw refuse(.invalidArgument, "secure session: \(error)")
            }
        }
        guard ModelZoo.names.contains(header.architecture) else {
            throw refuse(.invalidArgument, "unknown architecture '\(header.architecture.prefix(40))'")
        }
        let count = WireFormat.int(header.parameterCount)
        if let problem = configuration.limits.problem(parameters: count, settings: settings, trainRecords: hospital.trainRecords) {
            throw refuse(.invalidArgument, problem)
        }
        let template: Sequential
        do { template = try self.template(header.architecture) } catch {
            throw refuse(.invalidArgument, "\(header.architecture) does not fit this hospital's data: \(error)")
        }
        // Federated dropout: what is sent is the sub-model the mask names, thinned from this hospital's own template
        // (the trainer thins the template again from the same mask; a mask that does not fit is refused here).
        var sent = template
        if let mask = settings?.subModel {
            do { sent = try template.subModel(mask).model } catch {
                throw refuse(.invalidArgument, "\(error)")
            }
        }
        let shapes = WireFormat.shapes(of: sent)
        let announced = WireFormat.shapes(header.shapes)
        guard count == sent.parameterCount, announced.map(\.name) == shapes.map(\.name),
              announced.map(\.dims) == shapes.map(\.dims) else {
            throw refuse(.invalidArgument, "the model's shapes (\(count) parameters) do not match \(header.architecture) "
                         + "on this hospital's data (\(sent.parameterCount) parameters)")
        }
        if let plan, let settings {
            guard plan.parameters.vectorLength == SecureEncoding.vectorLength(parameters: count) else {
                throw refuse(.invalidArgument, "a secure session of \(plan.parameters.vectorLength) words for \(count) parameters")
            }
            guard plan.parameters.round == settings.round else {
                throw refuse(.invalidArgument, "a secure session for round \(plan.parameters.round), training round \(settings.round)")
            }
        }
        guard (16...64).contains(header.nonce.count) else { throw refuse(.invalidArgument, "nonce of \(header.nonce.count) bytes") }
        var assembler = FloatChunks.Assembler(expected: count)
        do {
            try assembler.append(first.values)
            while let chunk = try await iterator.next() {
                if chunk.hasHeader { throw TransportError("a second header") }
                try assembler.append(chunk.values)
            }
        } catch let error as TransportError {
            throw refuse(.invalidArgument, error.description)
        }
        let parameters: Tensor
        do { parameters = try assembler.finish() } catch { throw refuse(.invalidArgument, error.description) }
        let signed = ModelSignature(purpose: purpose, runID: header.runID, nonce: Array(header.nonce),
                                    architecture: header.architecture, settings: settings, shapes: shapes, secureSession: plan)
        if let key = configuration.modelKey {
            guard signed.verify(Array(header.signature), parameters: parameters, with: key) else {
                throw refuse(.permissionDenied, "the model's signature does not verify with the console's model-signing key "
                             + "(run \(header.runID.prefix(64)), \(count) parameters)")
            }
        }
        guard rememberNonce(Array(header.nonce)) else { throw refuse(.permissionDenied, "a replayed request (nonce seen before)") }
        return ReceivedModel(architecture: template, parameters: parameters, settings: settings, runID: header.runID, plan: plan)
    }

    /// The model-zoo architecture for this hospital's data (built once per name).
    private func template(_ name: String) throws -> Sequential {
        lock.lock()
        defer { lock.unlock() }
        if let t = templates[name] { return t }
        let t = try ModelZoo.make(name, inputShape: facts.featureShape, classes: facts.classNames.count, seed: 0)
        templates[name] = t
        return t
    }

    /// The session the last secure training opened, if any.
    var secureSession: SecureSessionRecord? {
        get { lock.withLock { session } }
        set { lock.withLock { session = newValue } }
    }

    /// Whether the nonce is new (then it is remembered; the oldest of 65,536 are forgotten).
    func rememberNonce(_ nonce: [UInt8]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard seenNonces.insert(nonce).inserted else { return false }
        nonceOrder.append(nonce)
        if nonceOrder.count > 65_536 {
            seenNonces.remove(nonceOrder.removeFirst())
        }
        return true
    }

    static func code(for error: HospitalError) -> RPCError.Code {
        switch error {
        case .budgetExhausted: .failedPrecondition
        case .invalidSettings: .invalidArgument
        case .offline: .unavailable
        case .failed, .ledger: .internalError
        case .secureAggregation, .policyRefused: .failedPrecondition
        }
    }
}
