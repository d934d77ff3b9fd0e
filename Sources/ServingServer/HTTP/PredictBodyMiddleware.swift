import Hummingbird
import NIOCore
import Serving

/// The prediction routes' records, read by ``RecordsJSON`` instead of the generated decoder when the
/// body is the plain shape (the decoder then reads a one-number stand-in). Anything else passes
/// untouched, so the contract's decoder and its refusals apply as before.
///
/// Contract: only `POST /v1/predict` and `/v1/predict/private` bodies (already collected by
/// ``BodyLimitMiddleware``) are looked at; the handler takes ``PredictBody/current`` when it is set,
/// else the decoded body. What the handler sees is the same either way. A body with more records than
/// the route's batch limit is refused here (422 `batch_too_large`) as soon as the first record over it is
/// read: the rest is never turned into arrays.
public struct PredictBodyMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    static let standIn = ByteBuffer(string: #"{"records":[[0]]}"#)
    let maxBatch: Int
    let maxPrivateBatch: Int

    public init(maxBatch: Int = ServeLimits().maxBatch, maxPrivateBatch: Int = ServeLimits().maxPrivateBatch) {
        self.maxBatch = maxBatch
        self.maxPrivateBatch = maxPrivateBatch
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post else { return try await next(request, context) }
        let route = ServeRoutes.normalized(request.uri.path)
        guard route == "/v1/predict" || route == "/v1/predict/private" else { return try await next(request, context) }
        var request = request
        let buffer = try await request.collectBody(upTo: .max)  // already collected within the body limit
        let limit = route == "/v1/predict" ? maxBatch : maxPrivateBatch
        let parsed = buffer.withUnsafeReadableBytes { RecordsJSON.parse($0, allowOutput: route == "/v1/predict", maxRecords: limit) }
        guard let parsed else { return try await next(request, context) }
        if parsed.exceeded {
            throw ServeRefusal(.unprocessableContent, .batchTooLarge, detail: "more than \(limit) records")
        }
        var standIn = Self.standIn
        if let output = parsed.output { standIn = ByteBuffer(string: #"{"records":[[0]],"output":""# + output + #""}"#) }
        request.body = RequestBody(buffer: standIn)
        return try await PredictBody.$current.withValue(parsed) { try await next(request, context) }
    }
}

/// The records ``PredictBodyMiddleware`` read, for the handler.
public enum PredictBody {
    @TaskLocal public static var current: RecordsJSON.Body?
}
