/// `text` as a JSON string literal: quotes and backslashes escaped, `\n`, `\r`, `\t` by name and every
/// other control character (and DEL) as `\uXXXX`. TOML basic strings and YAML double-quoted scalars
/// read it as the same text, so safetensors headers and run files both write strings with it.
public func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
