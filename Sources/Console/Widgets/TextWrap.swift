/// Breaks text into lines of at most `width` terminal columns (``CharacterWidth``), at spaces where it
/// can, inside a word only when one word is wider than the line; continuation lines are indented by
/// `indent` columns. Nothing is dropped: every character of the text is on some line.
public enum TextWrap {
    public static func lines(_ text: String, width: Int, indent: Int = 2) -> [String] {
        guard width > 0 else { return [text] }
        let pad = String(repeating: " ", count: max(0, min(indent, width / 2)))
        var lines: [String] = []
        var line = "", used = 0
        func flush() {
            lines.append(line)
            line = pad
            used = pad.count
        }
        for (i, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let w = CharacterWidth.of(String(word))
            let space = i == 0 || used == pad.count && !lines.isEmpty ? 0 : 1
            if used + space + w <= width {
                if space == 1 { line += " " }
                line += word
                used += space + w
                continue
            }
            if used > (lines.isEmpty ? 0 : pad.count) { flush() }
            // A word wider than a line is cut into pieces that fit.
            for character in word {
                let cw = CharacterWidth.of(String(character))
                if used + cw > width, used > (lines.isEmpty ? 0 : pad.count) { flush() }
                line.append(character)
                used += cw
            }
        }
        lines.append(line)
        return lines
    }
}
