import HTTPTypes
import OpenAPIRuntime

/// The operations' paths and methods, recorded while the generated `registerHandlers` registers them, so that the
/// error responder can answer 405 + `Allow` (Hummingbird 2.28.1's router answers 404 for a known path with an
/// unregistered method: `RouterResponder` sends both to its `NotFoundResponder`).
public struct RouteTable: Sendable {
    public private(set) var routes: [(template: [Substring], method: HTTPRequest.Method)] = []

    public init() {}

    mutating func add(path: String, method: HTTPRequest.Method) {
        routes.append((Self.segments(path), method))
    }

    /// Methods registered for a path matching `path` (`{param}` or `:param` segments match anything).
    public func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = Self.segments(path)
        var methods: [HTTPRequest.Method] = []
        for route in routes where Self.matches(route.template, segments) && !methods.contains(route.method) {
            methods.append(route.method)
        }
        return methods
    }

    static func segments(_ path: String) -> [Substring] {
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return pathOnly.split(separator: "/")
    }

    static func matches(_ template: [Substring], _ segments: [Substring]) -> Bool {
        guard template.count == segments.count else { return false }
        for (t, s) in zip(template, segments) where t != s {
            if t.hasPrefix("{") || t.hasPrefix(":") { continue }
            return false
        }
        return true
    }
}

/// A `ServerTransport` that only records what the generated `registerHandlers` registers.
final class RouteRecorder: ServerTransport {
    private(set) var table = RouteTable()

    func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        table.add(path: path, method: method)
    }
}
