/// The option table on the command line: `--rounds 5`, `--rounds=5`, `--headless`,
/// `--hospital A --hospital B`. Produced from ``RunOption/all``, so a new option needs no parsing code.
///
/// Contract: every argument is either a table option with a value of its kind that passes its check,
/// or an error naming the argument (a ``UsageError``: exit 2 in fedtop). A flag (a boolean option)
/// takes no value; a list option (`hospital`) is repeated; another option given twice keeps its last
/// value, as argument-parser does.
public enum RunOptionArguments {
    /// The options `arguments` set, in the order given.
    public static func parse(_ arguments: [String], options table: [RunOption] = RunOption.all) throws(UsageError) -> RunOptions {
        var options = RunOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw UsageError("unexpected argument '\(argument)'" + (argument.hasPrefix("-") ? " (options are spelt --name)" : ""))
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let option = table.first(where: { $0.name == name }) else {
                let suggestion = RunOption.closest(to: name).flatMap { table.contains($0) ? $0 : nil }
                throw UsageError("unknown option '--\(name)'" + (suggestion.map { "; did you mean '\($0.flag)'?" } ?? ""))
            }
            if option.kind == .boolean {
                guard attached == nil else { throw UsageError("\(option.flag) is a flag; it takes no value") }
                options[option] = .boolean(true)
                continue
            }
            let text: String
            if let attached {
                text = attached
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw UsageError("\(option.flag) needs a value (\(option.kind.expected))")
                }
                text = arguments[index]
                index += 1
            }
            let value: RunOption.Value
            switch option.kind {
            case .integer:
                guard let v = Int(text) else { throw invalid(option, text) }
                value = .integer(v)
            case .seed:
                guard let v = UInt64(text) else { throw invalid(option, text) }
                value = .seed(v)
            case .number:
                guard let v = Double(text) else { throw invalid(option, text) }
                value = .number(v)
            case .string:
                value = .string(text)
            case .strings:
                value = .strings((options[option]?.strings ?? []) + [text])
            case .boolean:
                preconditionFailure("flags are handled above")
            }
            if let problem = option.problem(with: value) { throw UsageError("\(option.flag) \(problem)") }
            options[option] = value
        }
        return options
    }

    private static func invalid(_ option: RunOption, _ text: String) -> UsageError {
        UsageError("\(option.flag) takes \(option.kind.expected), got '\(text)'")
    }

    /// The table's options as `--help` lists them: under each group's heading, the option, its value's
    /// name and its help with the default, wrapped to `width` columns.
    public static func help(_ table: [RunOption] = RunOption.all, width: Int = 80) -> String {
        var sections: [String] = []
        for group in RunOption.Group.allCases {
            let options = table.filter { $0.group == group }
            guard !options.isEmpty else { continue }
            var text = group.rawValue.uppercased() + " OPTIONS:"
            for option in options {
                let usage = "  " + option.flag + (option.kind == .boolean ? "" : " <\(option.name)>")
                var help = option.help
                if let value = option.defaultValue, option.kind != .boolean {
                    help += " (default: \(value.plain))"
                } else if let note = option.defaultNote {
                    help += " (default: \(note))"
                }
                text += "\n" + usage + "\n" + wrap(help, indent: 8, width: width)
            }
            sections.append(text)
        }
        return sections.joined(separator: "\n\n")
    }

    /// `text` broken into lines of at most `width` columns (a longer word stands alone), each indented.
    static func wrap(_ text: String, indent: Int, width: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, indent + line.count + 1 + word.count > width {
                lines.append(pad + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(pad + line) }
        return lines.joined(separator: "\n")
    }
}
