import Foundation
import Testing
@testable import Benchmarks

/// The parts of `fedtop bench serve` that read other programs: wrk's summary, /proc's CPU times, and the
/// percentile and Lua quoting they rely on.
@Suite("bench serve: reading wrk and /proc")
struct ServeLoadTests {
    static let summary = """
        Running 10s test @ http://127.0.0.1:8080/v1/predict
          1 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     2.21ms  812.00us  14.44ms   80.12%
            Req/Sec     7.21k   312.45     7.89k    72.00%
          Latency Distribution
             50%  812.00us
             75%    2.51ms
             90%    3.01ms
             99%    1.02s
          72145 requests in 10.00s, 20.12MB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 5
        Requests/sec:   7214.33
        Transfer/sec:      2.01MB
        """

    @Test("wrk's summary: percentiles in their units, failures (non-2xx and socket errors) not counted as answers")
    func wrkSummary() throws {
        let result = try WrkLoad.parse(Self.summary, seconds: 10)
        #expect(result.requests == 72_145 - 8 && result.failures == 8)
        #expect(abs(result.p50Milliseconds - 0.812) < 1e-9 && result.p99Milliseconds == 1020)
        #expect(abs(result.requestsPerSecond - 7213.7) < 1e-6)
        #expect(result.firstFailure != nil)
        let clean = try WrkLoad.parse(Self.summary.split(separator: "\n").filter { !$0.contains("errors") && !$0.contains("Non-2xx") }
            .joined(separator: "\n"), seconds: 10)
        #expect(clean.failures == 0 && clean.requests == 72_145 && clean.firstFailure == nil)
        #expect(throws: BenchmarkError.self) { try WrkLoad.parse("unable to connect to 127.0.0.1:8080 Connection refused", seconds: 10) }
        #expect(WrkLoad.milliseconds("2m") == 120_000 && WrkLoad.milliseconds("3.5") == nil)
    }

    @Test("a Lua long string holds any text, brackets included")
    func luaQuoting() {
        #expect(WrkLoad.luaString("Bearer abc") == "[[Bearer abc]]")
        #expect(WrkLoad.luaString("a]]b") == "[=[a]]b]=]")
        #expect(WrkLoad.luaString("a]]b]=]c") == "[==[a]]b]=]c]==]")
    }

    @Test("nearest-rank percentiles")
    func percentiles() {
        let values = (1...100).map(Double.init)
        #expect(ServeLoad.percentile(values, 0.5) == 50 && ServeLoad.percentile(values, 0.99) == 99 && ServeLoad.percentile(values, 1) == 100)
        #expect(ServeLoad.percentile([7], 0.99) == 7)
    }

    @Test("a process's CPU time from /proc grows while it computes; a process that does not exist has none")
    func processCPU() throws {
        let before = try #require(ProcessCPU.seconds(pid: getpid(), includingGroup: false))
        let start = Date()
        var x = 0.0
        while Date().timeIntervalSince(start) < 0.3 { for i in 0..<10_000 { x += sin(Double(i)) } }
        let after = try #require(ProcessCPU.seconds(pid: getpid(), includingGroup: false))
        #expect(after > before && x != 0.5)
        #expect(ProcessCPU.seconds(pid: Int32.max - 7, includingGroup: false) == nil)
    }
}
