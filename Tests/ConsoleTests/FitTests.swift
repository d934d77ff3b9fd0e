import Testing
@testable import Console

@Suite("Fit: text fitted into columns by rule, never cut silently")
struct FitTests {
    @Test("truncate: fits its width, ends in the ellipsis, on a whole word where one is near", arguments: [6, 12, 20, 27, 40])
    func truncate(width: Int) {
        let text = "refused (step): step works while paused"
        let fitted = Fit.truncate(text, width: width)
        #expect(CharacterWidth.of(fitted) <= width)
        if CharacterWidth.of(text) <= width {
            #expect(fitted == text)
        } else {
            #expect(fitted.hasSuffix("…"))
            let kept = String(fitted.dropLast())
            #expect(text.hasPrefix(kept))
            if width >= 12 { #expect(text.split(separator: " ").contains { kept.hasSuffix($0) }, "ends on a whole word: \(fitted)") }
        }
        #expect(Fit.truncate(text, width: width, ellipsis: "...").hasSuffix("...") || CharacterWidth.of(text) <= width)
    }

    @Test("middle: a path keeps its head and its file name, and fits", arguments: [18, 24, 40, 60, 200])
    func middle(width: Int) {
        let path = "/tmp/wt-layout-runs/lesions-lesioncnn-20261205-174512/checkpoints/round-0001.ckpt"
        let short = Fit.middle(path: path, width: width)
        #expect(CharacterWidth.of(short) <= width, "\(short)")
        if CharacterWidth.of(path) <= width {
            #expect(short == path)
        } else {
            #expect(short.contains("…") && short.hasSuffix("round-0001.ckpt"), "\(short)")
            if width >= 24 { #expect(short.hasPrefix("/tmp/…/")) }
        }
        #expect(Fit.middle(path: path, width: 8).count <= 8)
    }

    @Test("fields: the least important field goes first, whole; order is kept")
    func fields() {
        let f: [(text: String, priority: Int)] = [("fedtop", 5), ("lesions-lesioncnn", 3), ("lesions", 1), ("lesioncnn", 0)]
        #expect(Fit.fields(f, width: 80, separator: " | ") == "fedtop | lesions-lesioncnn | lesions | lesioncnn")
        #expect(Fit.fields(f, width: 36, separator: " | ") == "fedtop | lesions-lesioncnn | lesions")
        #expect(Fit.fields(f, width: 26, separator: " | ") == "fedtop | lesions-lesioncnn")
        #expect(Fit.fields(f, width: 20, separator: " | ") == "fedtop")
        #expect(Fit.fields(f, width: 4, separator: " | ") == "fed…")
    }

    @Test("wrap: at most maxLines lines of width, paths shortened, the last line ends in the ellipsis when text is left over")
    func wrap() {
        let text = "checkpoint of round 1: /tmp/wt-layout-runs/lesions-lesioncnn-20261205-174512/checkpoints/round-0001.ckpt written after 3.2 s"
        for width in [20, 30, 61] {
            let all = Fit.wrap(text, width: width)
            #expect(all.allSatisfy { CharacterWidth.of($0) <= width }, "\(all)")
            #expect(all.contains { $0.contains("round-0001.ckpt") }, "the file name survives: \(all)")
            let two = Fit.wrap(text, width: width, maxLines: 2)
            #expect(two.count <= 2 && two.allSatisfy { CharacterWidth.of($0) <= width })
            if all.count > 2 { #expect(two.last!.hasSuffix("…"), "\(two)") }
        }
        #expect(Fit.wrap("train loss 2.20", width: 40) == ["train loss 2.20"])
    }
}
