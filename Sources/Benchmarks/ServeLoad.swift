import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A closed-loop HTTP load generator for `fedtop bench serve`: `connections` keep-alive HTTP/1.1
/// clients, each sending the same request again as soon as its answer has been read, for `seconds`.
///
/// Contract: only answers that arrive complete with status 200 count as requests served; any other
/// status or a transport error is counted in ``Result/failures`` (the first one kept, for the
/// message) and the client goes on. Latency is from just before the request is sent to the last
/// byte of its answer. The same generator, with the same bytes, drives every server it is pointed at.
public struct ServeLoad: Sendable {
    public struct Result: Sendable, Equatable {
        public var requests = 0
        public var failures = 0
        public var seconds = 0.0
        public var p50Milliseconds = 0.0
        public var p99Milliseconds = 0.0
        public var firstFailure: String?
        /// CPU seconds the server used during the measurement (all its threads, or its workers), when known.
        public var serverCPUSeconds: Double?
        public var requestsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
        /// Server CPU per request, in microseconds.
        public var serverMicrosecondsPerRequest: Double? {
            serverCPUSeconds.flatMap { requests > 0 ? $0 / Double(requests) * 1e6 : nil }
        }
    }

    public let url: String
    public let headers: [(String, String)]
    public let body: [UInt8]
    public let connections: Int
    public var seconds: Double
    public let warmUpSeconds: Double

    public init(url: String, headers: [(String, String)], body: [UInt8], connections: Int, seconds: Double, warmUpSeconds: Double = 2) {
        self.url = url
        self.headers = headers
        self.body = body
        self.connections = connections
        self.seconds = seconds
        self.warmUpSeconds = warmUpSeconds
    }

    /// One request's answer body (status 200 required), for checking what a server says.
    public func once() async throws -> [UInt8] {
        let client = Self.client(connections: 1)
        do {
            let answer = try await send(client)
            try await client.shutdown()
            guard answer.status == 200 else {
                throw BenchmarkError("bench serve: \(url) answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            }
            return answer.body
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// One phase of `seconds` (the caller runs a warm-up phase first).
    public func measure() async throws -> Result {
        let client = Self.client(connections: connections)
        do {
            let result = try await phase(client, seconds: seconds)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func client(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private func send(_ client: HTTPClient) async throws -> (status: UInt, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, Array(buffer.readableBytesView))
    }

    private func phase(_ client: HTTPClient, seconds: Double) async throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        let perClient = try await withThrowingTaskGroup(of: (latencies: [Double], failures: Int, first: String?).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var latencies: [Double] = [], failures = 0, first: String?
                    while DispatchTime.now().uptimeNanoseconds < end {
                        let sent = DispatchTime.now().uptimeNanoseconds
                        do {
                            let answer = try await send(client)
                            if answer.status == 200 {
                                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
                            } else {
                                failures += 1
                                if first == nil { first = "status \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))" }
                            }
                        } catch {
                            failures += 1
                            if first == nil { first = "\(error)" }
                        }
                    }
                    return (latencies, failures, first)
                }
            }
            var all: [(latencies: [Double], failures: Int, first: String?)] = []
            for try await one in group { all.append(one) }
            return all
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let latencies = perClient.flatMap(\.latencies).sorted()
        var result = Result()
        result.requests = latencies.count
        result.failures = perClient.reduce(0) { $0 + $1.failures }
        result.firstFailure = perClient.compactMap(\.first).first
        result.seconds = elapsed
        if !latencies.isEmpty {
            result.p50Milliseconds = Self.percentile(latencies, 0.50)
            result.p99Milliseconds = Self.percentile(latencies, 0.99)
        }
        return result
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}
