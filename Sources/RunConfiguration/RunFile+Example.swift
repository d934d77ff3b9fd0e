/// The example run file `fedtop init` writes, produced from the option table.
extension RunFile {
    /// The example run file in `format`: every option of the table, under its group's heading, set to
    /// its default (``RunOptions/defaults``) or commented out with its example value, each with its help
    /// (and what a run does without it) as a comment.
    public static func example(format: Format) -> String {
        let file = format.defaultFileName
        var text = """
            # fedtop run file (\(format.displayName)), written by `fedtop init`.
            # Every option of `fedtop run`, named as on the command line without the dashes;
            # options given on the command line override the ones here. A key that is commented out
            # (or deleted) is left to `fedtop run`'s default. Check a file with: fedtop init --check \(file)

            """
        var lines: [(entry: String, comment: String)] = []
        var groupStarts: [Int: String] = [:]
        for group in RunOption.Group.allCases {
            groupStarts[lines.count] = group.rawValue
            for option in RunOption.all where option.group == group {
                let value = option.defaultValue ?? option.example!
                let separator = format == .toml ? " = " : ": "
                let entry = (option.defaultValue == nil ? "# " : "") + option.name + separator + value.description
                let comment = option.help + (option.defaultNote.map { " (default: \($0))" } ?? "")
                lines.append((entry, comment))
            }
        }
        // Comments line up, past the usual entries; a longer entry gets two spaces.
        let width = min(lines.map(\.entry.count).max()!, 26) + 2
        for (index, line) in lines.enumerated() {
            if let title = groupStarts[index] { text += "\n# \(title)\n" }
            text += line.entry + String(repeating: " ", count: max(width - line.entry.count, 2)) + "# " + line.comment + "\n"
        }
        return text
    }
}
