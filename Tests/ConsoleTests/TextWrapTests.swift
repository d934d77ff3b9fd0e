import Testing
@testable import Console

@Suite("TextWrap: long lines wrap, nothing is cut")
struct TextWrapTests {
    @Test("every line fits its width, every word that fits stays whole, and no character is lost", arguments: [8, 12, 20, 33, 80])
    func wraps(width: Int) {
        let text = "policy: DP-SGD required, σ ≥ 0.5, C ≤ 2, ε/round ≤ 0.25, 2 evaluation(s)/round, metrics on ≥ 10 records "
            + "and a word-longer-than-any-line-at-all here"
        let lines = TextWrap.lines(text, width: width)
        #expect(lines.allSatisfy { CharacterWidth.of($0) <= width }, "\(lines)")
        let kept = lines.joined().filter { $0 != " " }
        #expect(kept == text.filter { $0 != " " })
        for word in text.split(separator: " ") where word.count <= width - 2 {
            #expect(lines.contains { $0.contains(word) }, "\(word) split at width \(width): \(lines)")
        }
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  ") })
    }

    @Test("text that fits is one line, unchanged; wide characters count two columns")
    func fits() {
        #expect(TextWrap.lines("records 150  last loss 0.31", width: 80) == ["records 150  last loss 0.31"])
        let wide = TextWrap.lines("病院 病院 病院", width: 9)
        #expect(wide.allSatisfy { CharacterWidth.of($0) <= 9 } && wide.count == 2, "\(wide)")
    }
}
