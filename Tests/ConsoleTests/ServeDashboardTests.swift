import Console
import Foundation
import Testing

@Suite("fedtop serve's live panel")
struct ServeDashboardTests {
    static func model(seconds: Int = 150) -> ServeDashboardModel {
        var m = ServeDashboardModel(title: "serve-test · round 7", modelLine: "mlp, 30 features → malignant, benign; signed by 3f9c…",
                                    address: "https://127.0.0.1:8443 (HTTP/2 and HTTP/1.1 over TLS ≥ 1.2)")
        for t in 0..<seconds {
            let refused = t % 7 == 0 ? ["rate_limited": 3, "invalid_record": 1] : [:]
            m.append(ServeSample(requests: 100 + t, answered: 100 + t - refused.values.reduce(0, +), p50Milliseconds: 1.5,
                                 p99Milliseconds: 4 + Double(t % 5), refusals: refused, rateLimitedKeys: refused.isEmpty ? 0 : 1))
        }
        return m
    }

    @Test("the model keeps two minutes of samples, adds every sample to the totals, and never shows a negative count")
    func model() {
        var m = Self.model()
        #expect(m.samples.count == ServeDashboardModel.window)
        #expect(m.totalRequests == (0..<150).reduce(0) { $0 + 100 + $1 })
        #expect(m.refusalTotals["rate_limited"] == 22 * 3 && m.refusalTotals["invalid_record"] == 22)
        #expect(m.recentRefusals(seconds: 10)["rate_limited"] == 6)  // t = 140 and 147
        m.append(ServeSample(requests: -5, answered: 9, p50Milliseconds: 0, p99Milliseconds: 0, refusals: ["x": -2], rateLimitedKeys: -1))
        let last = m.samples.last!
        #expect(last.requests == 0 && last.answered == 0 && last.refusals["x"] == 0 && last.rateLimitedKeys == 0)
    }

    @Test("every part is drawn and named at the usual sizes; long text ends in an ellipsis, never cut silently",
          arguments: [(120, 40), (80, 24), (50, 14)])
    func panel(width: Int, height: Int) {
        var screen = Screen(width: width, height: height)
        ServeDashboard.draw(Self.model(), on: &screen, context: RenderContext())
        let text = screen.text()
        for part in ["fedtop serve", "Requests/s", "Latency", "Refused", "Last second", "q quit"] {
            #expect(text.contains(part), "\(part) missing at \(width)×\(height)")
        }
        #expect(text.contains("rate_limited"))
        if width < 90 { #expect(text.contains("…")) }  // the address line does not fit: it says so
        if width >= 120 { #expect(text.contains("https://127.0.0.1:8443") && text.contains("answered")) }
    }

    @Test("a terminal below the minimum gets the last second's figures and a note; ASCII terminals get ASCII only")
    func smallAndASCII() {
        var small = Screen(width: 40, height: 8)
        ServeDashboard.draw(Self.model(), on: &small, context: RenderContext())
        #expect(small.contains("too small") && small.contains("req/s 249"))
        var ascii = Screen(width: 100, height: 30)
        ascii.ellipsis = "..."
        ServeDashboard.draw(Self.model(), on: &ascii, context: RenderContext(glyphs: .ascii, monochrome: true))
        #expect(ascii.text().unicodeScalars.allSatisfy { $0.isASCII })
        #expect(ascii.contains("Requests/s") && ascii.contains("-2 min"))
    }

    @Test("the session draws the panel, asks the server to stop once on q, and gives the terminal back when the server has stopped")
    func session() throws {
        let terminal = ScriptedTerminal(keys: [.character("t"), .resize, .character("q"), .character("q")], width: 100, height: 30)
        var quits = 0, polls = 0
        let session = ServePanelSession(terminal: terminal, themes: ThemeLoader(directories: []), themeName: "default", glyphs: .unicode)
        let last = try session.run(model: Self.model(seconds: 3), sample: { ServeSample(requests: 1, answered: 1, p50Milliseconds: 1, p99Milliseconds: 1,
                                                                                       refusals: [:], rateLimitedKeys: 0) },
                                   problems: { [] }, finished: { polls += 1; return quits > 0 && polls > 6 }, quit: { quits += 1 })
        #expect(quits == 1)
        #expect(terminal.began && terminal.ended)
        #expect(terminal.lastFrame.contains("fedtop serve") && terminal.lastFrame.contains("stopping"))
        #expect(last.problems.contains { $0.hasPrefix("stopping") })
    }
}
