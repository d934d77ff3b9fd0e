import HTTPTypes
import Hummingbird
import NIOCore
import OpenAPIRuntime

/// Turns every error into a JSON `ErrorResponse` with a generic message; details go to the log only.
///
/// What arrives here:
/// - `ServeRefusal` from our middlewares (401, 413, ...);
/// - `OpenAPIRuntime.ServerError` from the generated server code: an undecodable body (`DecodingError` inside
///   `RuntimeError.failedToParseRequest`) has `httpStatus` 400, a wrong `Content-Type` 415, an `Accept` that excludes
///   the response type 406, a handler's thrown error 500 (or the status of a thrown `HTTPResponseConvertible`);
///   no `ErrorHandlingMiddleware` is needed, `ServerError` carries the status itself;
/// - Hummingbird's `HTTPError(.notFound)` from the router for an unknown path *and* for a known path with another
///   method: told apart with the `RouteTable` → 404 or 405 + `Allow`;
/// - `NIOTooManyBytesError` if anything collects a body over its limit → 413.
public struct ErrorResponderMiddleware: RouterMiddleware {
    public typealias Context = ServeRequestContext
    let routes: RouteTable

    public init(routes: RouteTable) { self.routes = routes }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return self.response(for: error, request: request, context: context)
        }
    }

    func response(for error: any Error, request: Request, context: Context) -> Response {
        let id = context.requestID
        switch error {
        case let refusal as ServeRefusal:
            context.logger.info("refused: \(refusal.code.rawValue)\(refusal.detail.map { ": " + $0 } ?? "")")
            return JSONErrorBody.response(status: refusal.status, code: refusal.code, requestID: id, headers: refusal.headers,
                                          record: refusal.record)

        case let serverError as ServerError:
            // A handler may throw a refusal; the runtime wraps it (underlyingError) in a ServerError.
            if let refusal = serverError.underlyingError as? ServeRefusal {
                return self.response(for: refusal, request: request, context: context)
            }
            // Never the ServerError itself nor its underlying error: they carry the request body (the records).
            context.logger.info("OpenAPI runtime refused operation \(serverError.operationID) (\(serverError.httpStatus.code))")
            let status = serverError.httpStatus
            return JSONErrorBody.response(status: status, code: .forStatus(status), requestID: id)

        case let httpError as HTTPError where httpError.status == .notFound:
            let allowed = routes.allowedMethods(for: request.uri.path)
            if allowed.isEmpty {
                return JSONErrorBody.response(status: .notFound, code: .notFound, requestID: id)
            }
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            return JSONErrorBody.response(
                status: .methodNotAllowed, code: .methodNotAllowed, requestID: id, headers: [.allow: allow]
            )

        case is NIOTooManyBytesError:
            return JSONErrorBody.response(status: .contentTooLarge, code: .bodyTooLarge, requestID: id)

        case let responseError as any HTTPResponseError:
            let status = responseError.status
            return JSONErrorBody.response(status: status, code: .forStatus(status), requestID: id)

        default:
            context.logger.error("internal error: \(type(of: error))")
            return JSONErrorBody.response(status: .internalServerError, code: ._internal, requestID: id)
        }
    }
}
