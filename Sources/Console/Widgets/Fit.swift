/// Fitting text into a number of terminal columns (``CharacterWidth``) by rule, never by a silent
/// cut: whole fields are dropped least important first, paths are shortened in the middle
/// (`/tmp/…/round-0001.ckpt`), and text that still does not fit ends in an ellipsis (`…`, or `...`
/// in ASCII), at a space where one is near so that the last word shown is whole.
///
/// Contract: every result is at most `width` columns wide; a result differs from its input only
/// by dropped fields, an ellipsis, or both; text that fits is returned unchanged.
public enum Fit {
    /// `text` if it fits in `width` columns, else its beginning followed by `ellipsis`.
    public static func truncate(_ text: String, width: Int, ellipsis: String = "…") -> String {
        guard CharacterWidth.of(text) > width else { return text }
        return ending(text, width: width, ellipsis: ellipsis)
    }

    /// The beginning of `text` followed by `ellipsis`, in at most `width` columns, even when `text`
    /// alone would fit (it goes on elsewhere).
    static func ending(_ text: String, width: Int, ellipsis: String) -> String {
        let ew = CharacterWidth.of(ellipsis)
        guard width > ew else { return width == ew ? ellipsis : "" }
        if CharacterWidth.of(text) + ew <= width { return text + ellipsis }
        let room = width - ew
        var kept = "", used = 0, lastSpace: String.Index?
        for character in text {
            let w = CharacterWidth.of(String(character))
            if used + w > room { break }
            if character == " " { lastSpace = kept.endIndex }
            kept.append(character)
            used += w
        }
        // End on a whole word when that keeps at least half of the room.
        if let space = lastSpace, CharacterWidth.of(String(kept[..<space])) >= room / 2 { kept = String(kept[..<space]) }
        while kept.last == " " { kept.removeLast() }
        return kept + ellipsis
    }

    /// A path shortened in the middle: the first component and as many of the last ones as fit,
    /// the file name kept whole where it can be (`/tmp/…/run-1/round-0001.ckpt`).
    public static func middle(path: String, width: Int, ellipsis: String = "…") -> String {
        guard CharacterWidth.of(path) > width else { return path }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 3 {
            let head = parts[0] + "/" + (parts[0].isEmpty ? parts[1] + "/" : "")
            let headCount = parts[0].isEmpty ? 2 : 1
            var tail = [parts[parts.count - 1]]
            var best: String?
            for prefix in [head, ""] {
                let candidate = prefix + ellipsis + "/" + tail.joined(separator: "/")
                if CharacterWidth.of(candidate) <= width { best = candidate; break }
            }
            if var shortened = best {
                let headPart = shortened.hasPrefix(head) ? head : ""
                var i = parts.count - 2
                while i >= headCount {
                    let next = headPart + ellipsis + "/" + ([parts[i]] + tail).joined(separator: "/")
                    guard CharacterWidth.of(next) <= width else { break }
                    tail.insert(parts[i], at: 0)
                    shortened = next
                    i -= 1
                }
                return shortened
            }
        }
        // Not even the file name fits: its end, after the ellipsis.
        let ew = CharacterWidth.of(ellipsis)
        guard width > ew else { return width == ew ? ellipsis : "" }
        var kept = "", used = 0
        for character in path.reversed() {
            let w = CharacterWidth.of(String(character))
            if used + w > width - ew { break }
            kept.insert(character, at: kept.startIndex)
            used += w
        }
        return ellipsis + kept
    }

    /// Fields joined by `separator`, dropping the least important (lowest `priority`; the later
    /// one among equals) until the rest fit; the one field left is truncated if it alone does not.
    public static func fields(_ fields: [(text: String, priority: Int)], width: Int, separator: String = "  ",
                              ellipsis: String = "…") -> String {
        var kept = fields.filter { !$0.text.isEmpty }
        func joined() -> String { kept.map(\.text).joined(separator: separator) }
        while kept.count > 1, CharacterWidth.of(joined()) > width {
            let lowest = kept.map(\.priority).min()!
            let victim = kept.lastIndex { $0.priority == lowest }!
            kept.remove(at: victim)
        }
        return truncate(joined(), width: width, ellipsis: ellipsis)
    }

    /// A word shortened to `width`: in the middle if it is a path, else at its end.
    public static func word(_ word: String, width: Int, ellipsis: String = "…") -> String {
        guard CharacterWidth.of(word) > width else { return word }
        return word.contains("/") ? middle(path: word, width: width, ellipsis: ellipsis) : truncate(word, width: width, ellipsis: ellipsis)
    }

    /// `text` wrapped at spaces into at most `maxLines` lines of `width` columns (continuation lines
    /// indented by `indent`), words wider than a line shortened (paths in the middle), and the last
    /// line ending in `ellipsis` when the text needs more lines than that.
    public static func wrap(_ text: String, width: Int, indent: Int = 2, maxLines: Int = .max, ellipsis: String = "…") -> [String] {
        guard width > 0, maxLines > 0 else { return [] }
        let room = max(1, width - min(indent, width / 2))
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { Fit.word(String($0), width: room, ellipsis: ellipsis) }
        let lines = TextWrap.lines(words.joined(separator: " "), width: width, indent: indent)
        guard lines.count > maxLines else { return lines }
        var kept = Array(lines.prefix(maxLines))
        let last = kept[maxLines - 1]
        let lead = lines.count > 1 && maxLines > 1 ? String(last.prefix { $0 == " " }) : ""
        kept[maxLines - 1] = lead + ending(String(last.dropFirst(lead.count)), width: width - lead.count, ellipsis: ellipsis)
        return kept
    }
}
