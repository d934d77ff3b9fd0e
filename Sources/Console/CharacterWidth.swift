/// How many terminal columns a character takes: 0 (combining marks), 1 (Latin, Greek, braille,
/// box drawing, blocks) or 2 (East Asian wide and most emoji), as `wcwidth` answers for them, but
/// the same on every machine so the virtual screen's snapshots do not depend on the C library.
public enum CharacterWidth {
    /// Columns taken by one scalar.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        if v < 0x20 || (v >= 0x7f && v < 0xa0) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1100...0x115f).contains(v) || (0x2e80...0x303e).contains(v) || (0x3041...0x33ff).contains(v)
            || (0x3400...0x4dbf).contains(v) || (0x4e00...0x9fff).contains(v) || (0xa000...0xa4cf).contains(v)
            || (0xac00...0xd7a3).contains(v) || (0xf900...0xfaff).contains(v) || (0xfe30...0xfe4f).contains(v)
            || (0xff00...0xff60).contains(v) || (0xffe0...0xffe6).contains(v) || (0x1f300...0x1f64f).contains(v)
            || (0x1f900...0x1f9ff).contains(v) || (0x20000...0x3fffd).contains(v) {
            return 2
        }
        return 1
    }

    /// Columns taken by a string (the sum over its scalars).
    public static func of(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + of($1) } }
}
