import Console
import Foundation
import Testing

/// Renders views on the virtual screen and compares them with text fixtures in `Fixtures/`.
/// `FEDTOP_UPDATE_SNAPSHOTS=1 swift test --filter Snapshot` rewrites the fixtures (review the diff).
enum Snapshot {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    enum Variant: String, CaseIterable {
        case unicode, ascii, mono

        var context: RenderContext {
            switch self {
            case .unicode: RenderContext(glyphs: .unicode)
            case .ascii: RenderContext(glyphs: .ascii)
            case .mono: RenderContext(glyphs: .unicode, monochrome: true)
            }
        }
    }

    static func render(_ view: ConsoleView, width: Int, height: Int, _ variant: Variant) -> Screen {
        var screen = Screen(width: width, height: height)
        Dashboard.render(view, on: &screen, context: variant.context)
        return screen
    }

    /// The text of a screen, and for monochrome a second layer of attributes per cell
    /// (`R` reverse, `B` bold, `U` underline, `*` several, `.` none).
    static func serialize(_ screen: Screen, attributes: Bool) -> String {
        var out = screen.text() + "\n"
        guard attributes else { return out }
        out += "--- attributes ---\n"
        for y in 0..<screen.height {
            var line = ""
            for x in 0..<screen.width {
                let s = screen[x, y].style
                let n = [s.reverse, s.bold, s.underline].filter { $0 }.count
                line += n > 1 ? "*" : s.reverse ? "R" : s.bold ? "B" : s.underline ? "U" : "."
            }
            out += line + "\n"
        }
        return out
    }

    /// Compares with the fixture `name.txt` (or writes it when updating).
    static func check(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = fixtures.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["FEDTOP_UPDATE_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if expected != text {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("snapshot \(name) differs at line \(first + 1):\n expected: \(first < a.count ? String(a[first]) : "<end>")\n   actual: \(first < b.count ? String(b[first]) : "<end>")",
                         sourceLocation: sourceLocation)
        }
    }
}
