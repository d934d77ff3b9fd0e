import Foundation
import HTTPTypes
import OpenAPIRuntime
import Privacy
import Serving
import ServingAPI

/// The API's handlers (the `APIProtocol` generated from `Sources/ServingAPI/openapi.yaml`): the served
/// model answers validated records; private answers are paid for in the key's ledger before they are
/// drawn; every refusal is a ``ServeRefusal`` with the contract's code.
///
/// Contract: the caller is `Principal.current` (set by `AuthenticationMiddleware`, which also checked
/// the route's scope); order of checks for predictions: the key's token bucket (one token a record
/// sent, so refused records cost as much as answered ones), the records (``RecordValidator``), the
/// deadline, then (private answers) the key's ledger, and only then the answer.
public struct ServeAPI: APIProtocol {
    let model: ServedModel
    let card: ModelCard
    let limits: ServeLimits
    let rates: RateLimiter
    let ledgers: AnswerLedgers
    let metrics: ServeMetrics
    let validator: RecordValidator
    let privateValidator: RecordValidator

    public init(model: ServedModel, card: ModelCard, limits: ServeLimits, ledgers: AnswerLedgers, metrics: ServeMetrics,
                rates: RateLimiter = RateLimiter()) {
        self.model = model
        self.card = card
        self.limits = limits
        self.rates = rates
        self.ledgers = ledgers
        self.metrics = metrics
        validator = RecordValidator(featureCount: model.featureCount, maxBatch: limits.maxBatch, maxAbsValue: limits.maxAbsValue,
                                    maxRecordVariance: limits.maxRecordVariance)
        privateValidator = RecordValidator(featureCount: model.featureCount, maxBatch: limits.maxPrivateBatch,
                                           maxAbsValue: limits.maxAbsValue, maxRecordVariance: limits.maxRecordVariance)
    }

    var reference: Components.Schemas.ModelReference {
        .init(runId: model.provenance?.run ?? "unknown", round: Int64(model.round), sha256: model.checkpointSHA256)
    }

    public func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    public func getModel(_ input: Operations.GetModel.Input) async throws -> Operations.GetModel.Output {
        let key = Self.key()
        var budget = AnswerBudget(epsilon: 0, delta: 1e-6, spentEpsilon: 0, answers: 0)
        if let key, key.scopes.contains(.private), key.privateEpsilon > 0 { budget = (try? ledgers.budget(of: key)) ?? budget }
        return .ok(.init(body: .json(card.schema(model: model, limits: limits, key: key, budget: budget))))
    }

    public func predict(_ input: Operations.Predict.Input) async throws -> Operations.Predict.Output {
        guard case let .json(request) = input.body else { throw ServeRefusal(.badRequest, .badRequest) }
        let sent = PredictBody.current?.records ?? request.records  // read in one pass when plain (PredictBodyMiddleware)
        try pay(sent.count)  // refused records cost tokens too: probing the validator is rate-limited
        let records = try validate(sent, with: validator)
        try checkDeadline()
        let probabilities = model.probabilities(records)
        let labelOnly = request.output == .label
        let predictions = try probabilities.map { p -> Components.Schemas.Prediction in
            guard p.allSatisfy(\.isFinite), let best = p.indices.max(by: { p[$0] < p[$1] }) else { throw ServeRefusal(.internalServerError, ._internal) }
            return .init(classIndex: Int32(best), label: model.classNames[best], probabilities: labelOnly ? nil : p)
        }
        RequestRecord.current?.set(records: records.count)
        metrics.answered(route: "predict", records: records.count)
        return .ok(.init(body: .json(.init(model: reference, predictions: predictions))))
    }

    public func predictPrivate(_ input: Operations.PredictPrivate.Input) async throws -> Operations.PredictPrivate.Output {
        guard case let .json(request) = input.body else { throw ServeRefusal(.badRequest, .badRequest) }
        guard let key = Self.key() else { throw ServeRefusal(.forbidden, .forbidden) }  // certificates carry no budget
        let sent = PredictBody.current?.records ?? request.records
        try pay(sent.count)
        let records = try validate(sent, with: privateValidator)
        let probabilities = model.probabilities(records)
        guard probabilities.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw ServeRefusal(.internalServerError, ._internal) }
        try checkDeadline()  // never after the spend: a paid answer is always sent
        let epsilon = limits.privateEpsilonPerAnswer
        let budget: AnswerBudget
        do { budget = try ledgers.charge(key: key, epsilon: epsilon, count: records.count) } catch {
            switch error {
            case .budgetExhausted: throw ServeRefusal(.forbidden, .budgetExhausted)
            case let .ledger(detail):
                RequestRecord.current?.set(decision: "unavailable")
                throw ServeRefusal(.serviceUnavailable, .unavailable, detail: "the answers' ledger: \(detail)")
            }
        }
        var generator: ChaCha20Generator
        do { generator = try ChaCha20Generator() } catch { throw ServeRefusal(.serviceUnavailable, .unavailable, detail: "\(error)") }
        let answers = probabilities.map { p -> Components.Schemas.PrivatePrediction in
            let c = ReportNoisyMax.choose(p, epsilon: epsilon, using: &generator)
            return .init(classIndex: Int32(c), label: model.classNames[c])
        }
        let charged = epsilon * Double(records.count)
        RequestRecord.current?.set(records: records.count, epsilon: charged)
        metrics.answered(route: "predict_private", records: records.count, epsilon: charged)
        return .ok(.init(body: .json(.init(model: reference, predictions: answers, epsilonCharged: charged,
                                           budget: .init(epsilon: budget.epsilon, delta: budget.delta, spentEpsilon: budget.spentEpsilon,
                                                         remainingEpsilon: budget.remainingEpsilon, answers: Int64(budget.answers))))))
    }

    public func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(HTTPBody(metrics.exposition()))))
    }

    // MARK: the checks, in order

    private func validate(_ records: [[Double]], with validator: RecordValidator) throws -> [[Float]] {
        do { return try validator.validate(records) } catch {
            RequestRecord.current?.set(records: records.count)
            let status: HTTPResponse.Status = switch error {
            case .empty: .badRequest
            default: .unprocessableContent
            }
            throw ServeRefusal(status, ErrorCode(rawValue: error.code) ?? .badRequest, record: error.record.map(Int32.init),
                               detail: error.detail)
        }
    }

    /// One token a record from the caller's bucket: a key's own, or for a client certificate one per
    /// common name at the server's certificate limits. A request larger than the bucket can ever
    /// hold is refused as too large (422), not told to wait.
    private func pay(_ records: Int) throws {
        guard let principal = Principal.current else { return }
        let (id, rate, burst) = switch principal.credential {
        case let .apiKey(key): (key.id, key.recordsPerSecond, key.burst)
        case .clientCertificate: (principal.name, limits.certificateRecordsPerSecond, limits.certificateBurst)
        }
        guard records <= burst else {
            throw ServeRefusal(.unprocessableContent, .batchTooLarge, detail: "\(records) records, over the caller's burst of \(burst)")
        }
        if let wait = rates.take(id: id, rate: rate, burst: burst, cost: records) {
            throw ServeRefusal(.tooManyRequests, .rateLimited, headers: [.retryAfter: String(wait)])
        }
    }

    /// The request's deadline runs from the arrival of its head (``RequestRecord``).
    private func checkDeadline() throws {
        guard let record = RequestRecord.current else { return }
        if record.elapsedMilliseconds > Double(limits.deadlineMilliseconds) {
            throw ServeRefusal(.serviceUnavailable, .deadlineExceeded, headers: [.retryAfter: "1"])
        }
    }

    static func key() -> APIKey? {
        if let principal = Principal.current, case let .apiKey(key) = principal.credential { return key }
        return nil
    }
}

