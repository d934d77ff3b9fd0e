import Dispatch
import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Privacy
import SecureAggregation
import TensorCore

/// A hospital in another process (`fedtop hospital`), reached over gRPC with mutual TLS: the console's
/// side of the transport. It conforms to ``Hospital``, so the engine drives it exactly as a local one.
///
/// Contract:
/// - ``connect(to:security:architecture:runID:signingKey:options:)`` says Hello and fails, naming the
///   address, when the hospital does not answer, speaks another protocol version, holds data the model
///   does not fit, or (when the operator named it, `grpcs://NAME@HOST:PORT`) has another name.
/// - Every model sent is signed with the console's Ed25519 key over the architecture, the settings,
///   the shapes, a fresh nonce and every parameter (``ModelSignature``).
/// - A background Status stream keeps ``status`` current (progress inside a round reaches the engine's
///   progress callback) and notices a hospital that went away: it is ``HospitalStatus/offline`` until the
///   stream opens again, retried with exponential back-off (0.25 s doubling to 5 s); each change is
///   reported through `onConnectionChange`. A `train` or `evaluate` on an offline hospital fails at
///   once with ``HospitalError/offline(hospital:)``, and the engine drops it from that round.
/// - A call that fails is mapped to a ``HospitalError`` whose reason is what the console knows (the
///   hospital sends only a generic status; its own log has the detail).
/// - The update is checked here for what the wire could corrupt (round, size); the engine's
///   ``UpdateValidator`` checks shape, finiteness and norm as for every hospital.
/// - Blocking calls bridge to gRPC's async API; they must not be made from Swift's cooperative pool
///   (the engine calls hospitals from its Dispatch worker queue); see ``Blocking``.
/// - Secure aggregation (``SecureAggregationHospital``, `RemoteHospital+SecureAggregation.swift`):
///   the same signing, deadlines, offline handling and error mapping, for a hospital whose Hello
///   offers "secure-aggregation".
public final class RemoteHospital: SampleLevelAccounting, @unchecked Sendable {
    /// Per-connection settings.
    public struct Options: Sendable {
        /// Seconds to wait for Hello at connection.
        public var connectTimeout: Double = 10
        /// Seconds a Train call may take (the engine's round deadline drops stragglers sooner).
        public var trainTimeout: Double = 600
        public var evaluateTimeout: Double = 120
        /// Seconds each secure-aggregation step (ShareKeys, MaskedInput, Unmask) may take (the engine's
        /// phase timeout drops a late hospital sooner).
        public var secureStepTimeout: Double = 120
        /// Largest message accepted from the hospital (bytes).
        public var maxMessageBytes: Int = 4 << 20
        public init() {}
    }

    /// What Hello told: the hospital's data and privacy, without a record.
    public struct Introduction: Sendable {
        public var summary: HospitalSummary
        public var datasetName: String
        public var featureShape: [Int]
        public var classNames: [String]
        /// The hospital's ledger history (q, σ, steps), for calibrating σ to what is left.
        public var history: [PrivacySegment]
        public var dpSGD: Bool
        /// What the hospital said it can do ("train", "evaluate", "status", "dp-sgd", "secure-aggregation").
        public var capabilities: [String]

        /// Whether the hospital takes part in secure aggregation.
        public var offersSecureAggregation: Bool { capabilities.contains("secure-aggregation") }
        /// Whether it trains federated-dropout sub-models (``RoundSettings/subModel``); an older hospital
        /// would ignore the mask and refuse every round on the model's shapes.
        public var offersFederatedDropout: Bool { capabilities.contains("federated-dropout") }
    }

    public let name: String
    public let endpoint: Endpoint
    public var location: HospitalLocation { .remote(address: endpoint.address) }
    public internal(set) var introduction: Introduction

    private let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    let client: Fedtop_V1_Hospital.Client<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, Never>
    private var monitor: Task<Void, Never>?
    private var model: (architecture: Sequential, shapes: [(name: String, dims: [Int])])?
    let runID: String
    let signingKey: ModelSigningKey?
    let options: Options
    let lock = NSLock()
    private var connected = true
    var remoteStatus = HospitalStatus.idle
    var progressHandler: (@Sendable (TrainingProgress) -> Void)?
    /// The secure-aggregation session of the last secure training (guarded by `lock`).
    var secureSession: RemoteSecureSession?
    private var connectionHandler: (@Sendable (RemoteHospital, Bool, String) -> Void)?

    /// Connects and says Hello; blocks until the hospital answers or `options.connectTimeout` passes.
    /// - Parameters:
    ///   - makeTransport: the HTTP/2 transport for these settings: mutual TLS with the federation's
    ///     certificates (`ConsoleCredentials.makeClientTransport`), or ``plaintextTransport(_:config:)``
    ///     for `grpc://` on loopback (`--insecure`).
    ///   - signingKey: the console's model-signing key; nil only with `--insecure`.
    public static func connect(to endpoint: Endpoint,
                               makeTransport: (HTTP2ClientTransport.Posix.Config) throws -> HTTP2ClientTransport.Posix,
                               runID: String,
                               signingKey: ModelSigningKey?, options: Options = .init()) throws(TransportError) -> RemoteHospital {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: true)
        config.backoff = .init(initial: .milliseconds(250), max: .seconds(5), multiplier: 2, jitter: 0.2)
        let transport: HTTP2ClientTransport.Posix
        do {
            transport = try makeTransport(config)
        } catch {
            throw TransportError("\(endpoint): \(error)")
        }
        let grpc = GRPCClient(transport: transport)
        let connections = Task { _ = try? await grpc.runConnections() }
        let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
        var call = CallOptions.defaults
        call.timeout = .milliseconds(Int64(options.connectTimeout * 1000))
        call.waitForReady = true
        call.maxRequestMessageBytes = options.maxMessageBytes
        call.maxResponseMessageBytes = options.maxMessageBytes
        let helloOptions = call
        let reply: Fedtop_V1_HelloReply
        do {
            reply = try Blocking.run { try await client.hello(.with { $0.protocolVersion = WireFormat.protocolVersion }, options: helloOptions) }
        } catch {
            grpc.beginGracefulShutdown()
            connections.cancel()
            throw TransportError("\(endpoint) did not answer: \(Self.describe(error))")
        }
        let introduction: Introduction
        do {
            introduction = try Self.introduction(reply, endpoint: endpoint)
        } catch {
            grpc.beginGracefulShutdown()
            connections.cancel()
            throw error
        }
        let hospital = RemoteHospital(endpoint: endpoint, introduction: introduction, grpc: grpc, client: client,
                                      connections: connections, runID: runID,
                                      signingKey: signingKey, options: options)
        hospital.startMonitor()
        return hospital
    }

    private init(endpoint: Endpoint, introduction: Introduction, grpc: GRPCClient<HTTP2ClientTransport.Posix>,
                 client: Fedtop_V1_Hospital.Client<HTTP2ClientTransport.Posix>, connections: Task<Void, Never>,
                 runID: String, signingKey: ModelSigningKey?, options: Options) {
        name = introduction.summary.name
        self.endpoint = endpoint
        self.introduction = introduction
        self.grpc = grpc
        self.client = client
        self.connections = connections
        self.runID = runID
        self.signingKey = signingKey
        self.options = options
        remoteStatus = introduction.summary.epsilonBudget.map { introduction.summary.epsilonSpent >= $0 } == true ? .budgetExhausted : .idle
    }

    deinit { close() }

    /// Takes `architecture` as the model to train and evaluate (its zoo name and shapes are sent and
    /// signed), after checking that it fits the records the hospital described: their shape and the
    /// number of classes.
    public func adopt(_ architecture: Sequential) throws(TransportError) {
        let intro = lock.withLock { introduction }
        guard intro.featureShape == architecture.inputShape else {
            throw TransportError("\(name) at \(endpoint.address) holds records of shape \(intro.featureShape); the model \(architecture.kind) takes \(architecture.inputShape)")
        }
        let outputs = architecture.outputShape.reduce(1, *)
        guard intro.classNames.count == outputs else {
            throw TransportError("\(name) at \(endpoint.address) has \(intro.classNames.count) classes; the model \(architecture.kind) has \(outputs) outputs")
        }
        lock.withLock { model = (architecture, WireFormat.shapes(of: architecture)) }
    }

    /// Stops the status stream and the connection.
    public func close() {
        monitor?.cancel()
        grpc.beginGracefulShutdown()
        connections.cancel()
    }

    /// Called on every change of the connection (true: attached, false: lost), with a reason.
    public func onConnectionChange(_ handler: @escaping @Sendable (RemoteHospital, Bool, String) -> Void) {
        lock.withLock { connectionHandler = handler }
    }

    public var isConnected: Bool { lock.withLock { connected } }

    // MARK: - Hospital

    public var status: HospitalStatus { lock.withLock { connected ? remoteStatus : .offline } }

    public func summary() throws(HospitalError) -> HospitalSummary { lock.withLock { introduction.summary } }

    // MARK: - SampleLevelAccounting

    public var accountant: RDPAccountant? {
        lock.withLock {
            guard introduction.dpSGD else { return nil }
            var a = RDPAccountant()
            for s in introduction.history { a.compose(s) }
            return a
        }
    }

    public var trainRecords: Int { lock.withLock { introduction.summary.trainRecords } }
    public var epsilonSpent: Double { lock.withLock { introduction.summary.epsilonSpent } }
    public var epsilonBudget: Double? { lock.withLock { introduction.summary.epsilonBudget } }

    public func train(globalModel: Tensor, settings: RoundSettings,
                      progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        guard isConnected else { throw .offline(hospital: name) }
        let started = ContinuousClock.now
        let header = try signedHeader(globalModel, purpose: .train, settings: settings)
        lock.withLock { progressHandler = progress }
        defer { lock.withLock { progressHandler = nil } }
        let client = self.client, name = self.name
        let expected = globalModel.count
        let chunks = WireFormat.modelChunks(header, globalModel)
        let call = callOptions(timeout: options.trainTimeout)
        let received: (Fedtop_V1_UpdateHeader, Tensor)
        do {
            received = try Blocking.run {
                try await client.train(options: call, requestProducer: { try await $0.write(contentsOf: chunks) }, onResponse: { response in
                    var head: Fedtop_V1_UpdateHeader?
                    var assembler: FloatChunks.Assembler?
                    for try await chunk in response.messages {
                        if head == nil {
                            guard chunk.hasHeader else { throw TransportError("the update's first chunk has no header") }
                            head = chunk.header
                            guard WireFormat.int(chunk.header.parameterCount) == expected else {
                                throw TransportError("the update has \(chunk.header.parameterCount) values, the model \(expected)")
                            }
                            assembler = FloatChunks.Assembler(expected: expected)
                        } else if chunk.hasHeader {
                            throw TransportError("a second update header")
                        }
                        try assembler!.append(chunk.values)
                    }
                    guard let head, let assembler else { throw TransportError("no update received") }
                    return (head, try assembler.finish())
                })
            }
        } catch {
            throw mapFailure(error, settings: settings)
        }
        let (head, delta) = received
        guard WireFormat.int(head.round) == settings.round else {
            throw .failed(hospital: name, reason: "the update is labelled round \(head.round), not \(settings.round)")
        }
        let records = trainRecords
        if let problem = PeerValues.problem(update: head, settings: settings, trainRecords: records) {
            throw .failed(hospital: name, reason: "bad reply: \(problem)")
        }
        var spend: PrivacySegment?
        if head.hasSpend {
            do { spend = try WireFormat.segment(head.spend) } catch { throw .failed(hospital: name, reason: error.description) }
        }
        if settings.samplePrivacy != nil && spend == nil {
            throw .failed(hospital: name, reason: "the hospital reported no DP-SGD spend for a DP-SGD round")
        }
        if let spend, let problem = PeerValues.problem(spend: spend, settings: settings, trainRecords: records) {
            throw .failed(hospital: name, reason: "bad reply: \(problem)")
        }
        lock.withLock {
            introduction.summary.epsilonSpent = max(introduction.summary.epsilonSpent, head.epsilonSpent)
            if let spend { introduction.history.append(spend) }
        }
        return HospitalUpdate(hospital: name, round: settings.round, delta: delta, sampleCount: WireFormat.int(head.sampleCount),
                              trainLoss: head.trainLoss, clippedFraction: head.clippedFraction, spend: spend,
                              epsilonSpent: settings.samplePrivacy != nil ? head.epsilonSpent : nil,
                              secureNoise: head.secureNoise,
                              seconds: started.duration(to: .now) / .seconds(1))
    }

    public func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        guard isConnected else { throw .offline(hospital: name) }
        let header = try signedHeader(globalModel, purpose: .evaluate, settings: nil)
        let client = self.client
        let chunks = WireFormat.modelChunks(header, globalModel)
        let call = callOptions(timeout: options.evaluateTimeout)
        do {
            let reply = try Blocking.run {
                try await client.evaluate(options: call, requestProducer: { try await $0.write(contentsOf: chunks) })
            }
            if let problem = PeerValues.problem(evaluation: reply, testRecords: lock.withLock({ introduction.summary.testRecords })) {
                throw TransportError(problem)
            }
            return WireFormat.metrics(reply)
        } catch {
            throw mapFailure(error, settings: nil)
        }
    }

    // MARK: - Internals

    func callOptions(timeout: Double) -> CallOptions {
        var call = CallOptions.defaults
        call.timeout = .milliseconds(Int64(timeout * 1000))
        call.waitForReady = false
        call.maxRequestMessageBytes = options.maxMessageBytes
        call.maxResponseMessageBytes = options.maxMessageBytes
        return call
    }

    func signedHeader(_ model: Tensor, purpose: ModelSignature.Purpose, settings: RoundSettings?,
                      plan: SecureRoundPlan? = nil) throws(HospitalError) -> Fedtop_V1_ModelHeader {
        guard var (architecture, shapes) = lock.withLock({ self.model }) else {
            throw .failed(hospital: name, reason: "no model adopted (RemoteHospital.adopt)")
        }
        // Federated dropout: the header names the full architecture and the sub-model's shapes.
        if let mask = settings?.subModel {
            do { architecture = try architecture.subModel(mask).model } catch {
                throw .invalidSettings(hospital: name, reason: "\(error)")
            }
            shapes = WireFormat.shapes(of: architecture)
        }
        guard model.count == architecture.parameterCount else {
            throw .invalidSettings(hospital: name, reason: "model of \(model.count) parameters, \(architecture.kind) has \(architecture.parameterCount)")
        }
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = generator.next() }
        let signed = ModelSignature(purpose: purpose, runID: runID, nonce: nonce, architecture: architecture.kind,
                                    settings: settings, shapes: shapes, secureSession: plan)
        var header = Fedtop_V1_ModelHeader()
        header.architecture = architecture.kind
        header.parameterCount = UInt64(model.count)
        header.shapes = WireFormat.message(shapes)
        if let settings { header.settings = WireFormat.message(settings) }
        if let plan { header.secureSession = WireFormat.message(plan) }
        header.runID = runID
        header.nonce = Data(nonce)
        if let signingKey { header.signature = Data(signed.sign(parameters: model, with: signingKey)) }
        return header
    }

    /// The ``HospitalError`` for a failed call. `secure`: a secure-aggregation call, whose refusals
    /// (FAILED_PRECONDITION "secure aggregation step refused") are not a budget's.
    func mapFailure(_ error: any Error, settings: RoundSettings?, secure: Bool = false) -> HospitalError {
        if let transport = error as? TransportError {
            return secure ? .secureAggregation(hospital: name, reason: "bad reply: \(transport)")
                          : .failed(hospital: name, reason: "bad reply: \(transport)")
        }
        guard let rpc = error as? RPCError else { return .failed(hospital: name, reason: "\(error)") }
        switch rpc.code {
        case .unavailable, .deadlineExceeded, .cancelled:
            markDisconnected("\(rpc.code): \(rpc.message)")
            return .offline(hospital: name)
        case .failedPrecondition where rpc.message == HospitalError.policyPeerMessage:
            return .policyRefused(hospital: name, rule: "the hospital's privacy policy refused the round (its log names the rule)")
        case .failedPrecondition where secure && rpc.message == HospitalError.secureAggregation(hospital: "", reason: "").peerMessage:
            return .secureAggregation(hospital: name, reason: "the hospital refused the secure-aggregation step (its log says why)")
        case .invalidArgument where secure:
            return .secureAggregation(hospital: name, reason: "the hospital refused the request as malformed or beyond its limits (its log says why)")
        case .failedPrecondition:
            let (spent, budget) = lock.withLock { (introduction.summary.epsilonSpent, introduction.summary.epsilonBudget ?? 0) }
            lock.withLock { remoteStatus = .budgetExhausted }
            return .budgetExhausted(hospital: name, spent: spent, next: .infinity, budget: budget)
        case .invalidArgument:
            return .invalidSettings(hospital: name, reason: "the hospital refused the request (its log says why)")
        case .permissionDenied, .unauthenticated:
            return .failed(hospital: name, reason: "the hospital refused this console or the model's signature (its log says why)")
        case .resourceExhausted:
            return .failed(hospital: name, reason: "the hospital is busy or rate-limiting this console")
        default:
            return .failed(hospital: name, reason: "\(rpc.code): \(rpc.message)")
        }
    }

    private func markDisconnected(_ reason: String) {
        let handler: (@Sendable (RemoteHospital, Bool, String) -> Void)? = lock.withLock {
            guard connected else { return nil }
            connected = false
            return connectionHandler
        }
        handler?(self, false, reason)
    }

    private func markConnected() {
        let handler: (@Sendable (RemoteHospital, Bool, String) -> Void)? = lock.withLock {
            guard !connected else { return nil }
            connected = true
            return connectionHandler
        }
        handler?(self, true, "attached again")
    }

    /// The Status stream, reopened with back-off while the hospital is away.
    private func startMonitor() {
        let client = self.client
        monitor = Task { [weak self] in
            var backoff = 0.25
            var retryAtOnce = true
            while !Task.isCancelled {
                let opened = Flag()
                let started = ContinuousClock.now
                var endedCleanly = false
                do {
                    var call = CallOptions.defaults
                    call.waitForReady = false
                    let streamOptions = call
                    try await client.status(Fedtop_V1_StatusRequest(), options: streamOptions) { [weak self] response in
                        for try await update in response.messages {
                            guard let self else { return }
                            if opened.set() { self.reattached() }
                            self.apply(update)
                        }
                    }
                    endedCleanly = true
                } catch {
                    self?.markDisconnected(Self.describe(error))
                }
                if Task.isCancelled { return }
                // A stream that ended without an error is reopened at once, once: only if that fails too
                // (a hospital that went away) is the hospital offline.
                if endedCleanly {
                    // At once, once in a row: a stream that lived a while earns another immediate retry.
                    if opened.isSet && (retryAtOnce || started.duration(to: .now) > .seconds(2)) {
                        retryAtOnce = false
                        try? await Task.sleep(for: .milliseconds(20))
                        continue
                    }
                    self?.markDisconnected("the status stream ended")
                }
                if opened.isSet {
                    backoff = 0.25
                    retryAtOnce = true
                }
                try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
                backoff = min(5, backoff * 2)
            }
        }
    }

    /// The Status stream is open again: check with Hello that it is the same hospital, then attach.
    private func reattached() {
        guard !isConnected else { return }
        Task { [weak self] in
            guard let self else { return }
            var call = CallOptions.defaults
            call.timeout = .milliseconds(Int64(options.connectTimeout * 1000))
            do {
                let reply = try await client.hello(.with { $0.protocolVersion = WireFormat.protocolVersion }, options: call)
                let intro = try Self.introduction(reply, endpoint: endpoint)
                guard intro.summary.name == name else {
                    markDisconnected("\(endpoint) now answers as '\(intro.summary.name)', not '\(name)'")
                    return
                }
                lock.withLock {
                    introduction = intro
                    remoteStatus = intro.summary.epsilonBudget.map { intro.summary.epsilonSpent >= $0 } == true ? .budgetExhausted : .idle
                }
                markConnected()
            } catch {
                markDisconnected(Self.describe(error))
            }
        }
    }

    private func apply(_ update: Fedtop_V1_StatusUpdate) {
        let handler: (@Sendable (TrainingProgress) -> Void)? = lock.withLock {
            remoteStatus = WireFormat.status(update.state)
            if PeerValues.epsilon(update.epsilonSpent, "ε spent") == nil {
                introduction.summary.epsilonSpent = max(introduction.summary.epsilonSpent, update.epsilonSpent)
            }
            return progressHandler
        }
        if update.state == .training, update.stepsTotal > 0, update.stepsDone <= update.stepsTotal, let handler {
            handler(TrainingProgress(stepsDone: WireFormat.int(update.stepsDone), stepsTotal: WireFormat.int(update.stepsTotal)))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let rpc = error as? RPCError {
            if let cause = rpc.cause { return "\(rpc.code): \(rpc.message) (\(cause))" }
            return "\(rpc.code): \(rpc.message)"
        }
        return "\(error)"
    }
}

/// A flag set once, read from anywhere.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag; true the first time.
    func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
    var isSet: Bool { lock.withLock { value } }
}
