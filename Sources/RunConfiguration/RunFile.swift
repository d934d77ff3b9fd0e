import TensorCore
import TOMLKit
import Yams

/// The run file: the options of `fedtop run` written down, in TOML (`.toml`) or YAML (`.yaml`,
/// `.yml`); `fedtop init` writes a commented example of either.
///
/// The format is flat: one top-level key per option, named as on the command line without the
/// dashes, with a value of the option's type. No sections, tables or nested mappings.
///
/// ```toml
/// hospitals = 3                # integer
/// dataset = "lesions"          # string
/// learning-rate = 0.05         # number (an integer is accepted too)
/// adaptive-clip = true         # true or false
/// hospital = ["grpcs://a.example.org:7443", "grpcs://b.example.org:7443"]   # list of strings
/// ```
///
/// The YAML file has the same keys: `hospitals: 3`, `hospital: ["grpcs://…"]` or a block list.
///
/// Rules:
/// - Every key is optional; a key left out is left to the command line and then to `fedtop run`'s
///   default. Options given on the command line override the file (``RunOptions/overriding(with:)``).
/// - An unknown key is an error, naming the closest known key when one is within two edits or is the
///   same key spelt with `_` or in camel case (`learning_rate`, `learningRate`). A section
///   (`[privacy]`, a nested YAML mapping, a dotted TOML key) is an error too.
/// - Types are strict: `rounds = "ten"` or `rounds = 30.5` is an error; a number key takes an
///   integer (`deadline = 60`). Seeds are integers ≥ 0 (at most 2⁶³−1 in a file).
///   `hospital` also takes a single string.
/// - YAML only: a string key takes any unquoted scalar as its text, so `dp: off` is the mode
///   `"off"` and not YAML 1.1's false. An empty value (`model:`) or `null` is an error, not "unset":
///   comment the line out instead.
/// - Values are checked one by one as ``RunOptions/validate()`` does (counts at least 1, `hospitals`
///   at least 0, fractions in range, `dp` one of sample|client|both|off, `partition` a scheme,
///   `hospital` addresses `grpcs://HOST:PORT`); combinations of options are the run's to check.
///
/// Every error is a ``RunFileError`` naming the file, the key and, where known, the line and
/// column (YAML gives them for every value; TOML for syntax errors, and the line of a key is found
/// in the text). `fedtop init --check FILE` loads a file and prints what it sets.
public enum RunFile {
    /// The run file's syntax, chosen by the file's extension.
    public enum Format: String, CaseIterable, Sendable {
        case toml, yaml

        /// The format a path's extension names: `.toml`, or `.yaml` / `.yml` (case-insensitive).
        public init?(path: String) {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            switch name[name.index(after: dot)...].lowercased() {
            case "toml": self = .toml
            case "yaml", "yml": self = .yaml
            default: return nil
            }
        }

        /// The file `fedtop init` writes by default.
        public var defaultFileName: String { "fedtop.\(rawValue)" }

        public var displayName: String { rawValue.uppercased() }
    }

    /// The options the run file at `path` sets.
    public static func load(path: String) throws(RunFileError) -> RunOptions {
        guard let format = Format(path: path) else {
            throw RunFileError(path: path, reason: .unsupportedFormat)
        }
        let bytes: [UInt8]
        do { bytes = try POSIXFile.readAll(path) } catch {
            throw RunFileError(path: path, reason: .unreadable(error.reason))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RunFileError(path: path, reason: .unreadable("not UTF-8 text"))
        }
        return try parse(text, format: format, path: path)
    }

    /// The options `text`, a run file in `format`, sets; `path` names it in errors.
    public static func parse(_ text: String, format: Format, path: String) throws(RunFileError) -> RunOptions {
        let entries = switch format {
        case .toml: try tomlEntries(text, path: path)
        case .yaml: try yamlEntries(text, path: path)
        }
        var options = RunOptions()
        var seen = Set<RunOption>()
        for entry in entries {
            func fail(_ reason: RunFileError.Reason) -> RunFileError {
                RunFileError(path: path, line: entry.line, column: entry.column, key: entry.key, reason: reason)
            }
            guard let key = RunOption(named: entry.key) else {
                if case .table = entry.value { throw fail(.section) }
                throw fail(.unknownKey(suggestion: RunOption.closest(to: entry.key)?.name))
            }
            // Both parsers refuse a key given twice; this guards YAML keys that differ only in quoting.
            guard seen.insert(key).inserted else { throw fail(.invalidValue("given more than once")) }
            let value: RunOption.Value
            switch entry.value.converted(to: key.kind) {
            case .success(let v): value = v
            case .failure(.wrongType(let got)): throw fail(.wrongType(expected: key.kind.expected, got: got))
            case .failure(.outOfRange(let problem)): throw fail(.invalidValue(problem))
            }
            if let problem = key.problem(with: value) { throw fail(.invalidValue(problem)) }
            options[key] = value
        }
        return options
    }
}

/// A problem with a run file: what, in which file, at which key, line and column where known.
public struct RunFileError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with the file, one case per kind of mistake.
    public enum Reason: Equatable, Sendable {
        /// The extension is not `.toml`, `.yaml` or `.yml`.
        case unsupportedFormat
        /// The file could not be read (the system's reason), or is not UTF-8.
        case unreadable(String)
        /// The parser's message.
        case syntax(String)
        /// The document is not a mapping of keys to values (a YAML list, say).
        case notAMapping(got: String)
        case unknownKey(suggestion: String?)
        /// A section (`[privacy]`, `privacy:` with keys under it) of an unknown name: the format is flat.
        case section
        case wrongType(expected: String, got: String)
        /// Out of range, or not one of the allowed values.
        case invalidValue(String)
    }

    public var path: String
    public var line: Int? = nil
    public var column: Int? = nil
    /// The key, for the errors about one key.
    public var key: String? = nil
    public var reason: Reason

    /// `PATH[:LINE[:COLUMN]]: …`, as compilers write it, then the key and the problem.
    public var description: String {
        var place = path
        if let line {
            place += ":\(line)"
            if let column { place += ":\(column)" }
        }
        let subject = key.map { "key `\($0)`: " } ?? ""
        switch reason {
        case .unsupportedFormat:
            return "\(place): not a run file: the name must end in .toml, .yaml or .yml"
        case .unreadable(let why):
            return "\(place): cannot read the run file: \(why)"
        case .syntax(let message):
            return "\(place): \(message)"
        case .notAMapping(let got):
            return "\(place): the run file must be a mapping of keys to values, got \(got)"
        case .unknownKey(let suggestion):
            return "\(place): unknown key `\(key ?? "")`" + (suggestion.map { " (did you mean `\($0)`?)" } ?? "")
        case .section:
            return "\(place): unknown section `\(key ?? "")`: the run file is flat, every key at the top level"
        case .wrongType(let expected, let got):
            return "\(place): \(subject)expected \(expected), got \(got)"
        case .invalidValue(let problem):
            return "\(place): \(subject)\(problem)"
        }
    }
}

// MARK: - Values as written

/// One top-level key of the file, its value as written, and where it is.
private struct Entry {
    var key: String
    var value: WrittenValue
    var line: Int?
    var column: Int?
}

/// A value as the file wrote it, before it is checked against its key's kind.
private indirect enum WrittenValue {
    case integer(Int)
    case number(Double)
    case string(String)
    case boolean(Bool)
    case list([WrittenValue])
    case table
    case null
    /// Any other scalar (a date, a YAML integer too large for `Int`): how to name it.
    case other(String)
    /// YAML: an unquoted scalar other than null, with its text (`off`, `42`), and what it resolved to.
    case plain(String, WrittenValue)

    enum Mismatch: Error {
        /// How to name what was written: `string "ten"`.
        case wrongType(got: String)
        case outOfRange(String)
    }

    /// How an error names this value: `string "ten"`, `integer 3`, `a table`.
    var named: String {
        switch self {
        case .integer(let v): "integer \(v)"
        case .number(let v): "number \(v)"
        case .string(let v): "string \(RunOption.Value.quoted(v))"
        case .boolean(let v): "boolean \(v)"
        case .list: "a list"
        case .table: "a table (the run file is flat: no sections)"
        case .null: "nothing (null; comment the line out to leave the option unset)"
        case .other(let what): what
        case .plain(_, let resolved): resolved.named
        }
    }

    /// The text of a string, or of a YAML unquoted scalar.
    private var text: String? {
        switch self {
        case .string(let v), .plain(let v, _): v
        default: nil
        }
    }

    /// The value as the kind `kind` takes it.
    func converted(to kind: RunOption.Kind) -> Result<RunOption.Value, Mismatch> {
        if case .plain(_, let resolved) = self, kind != .string, kind != .strings {
            return resolved.converted(to: kind)
        }
        switch (kind, self) {
        case (.integer, .integer(let v)): return .success(.integer(v))
        case (.seed, .integer(let v)):
            return v >= 0 ? .success(.seed(UInt64(v))) : .failure(.outOfRange("must be at least 0, got \(v)"))
        case (.number, .integer(let v)): return .success(.number(Double(v)))
        case (.number, .number(let v)): return .success(.number(v))
        case (.boolean, .boolean(let v)): return .success(.boolean(v))
        case (.string, _):
            if let text { return .success(.string(text)) }
        case (.strings, .list(let items)):
            var texts: [String] = []
            for item in items {
                guard let text = item.text else { return .failure(.wrongType(got: "a list holding \(item.named)")) }
                texts.append(text)
            }
            return .success(.strings(texts))
        case (.strings, _):
            if let text { return .success(.strings([text])) }
        default: break
        }
        return .failure(.wrongType(got: named))
    }
}

// MARK: - TOML

extension RunFile {
    fileprivate static func tomlEntries(_ text: String, path: String) throws(RunFileError) -> [Entry] {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw RunFileError(path: path, line: error.source.begin.line, column: error.source.begin.column,
                               reason: .syntax("TOML syntax error: \(error.description)"))
        } catch {
            throw RunFileError(path: path, reason: .syntax("TOML syntax error: \(error)"))
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [Entry] = []
        for (key, value) in table {
            let place = tomlPlace(of: key, in: lines)
            entries.append(Entry(key: key, value: written(value), line: place?.line, column: place?.column))
        }
        // toml++ keeps keys sorted; report problems in the order of the file.
        return entries.sorted { ($0.line ?? .max, $0.key) < ($1.line ?? .max, $1.key) }
    }

    private static func written(_ value: TOMLValueConvertible) -> WrittenValue {
        switch value.type {
        case .int: return value.int.map(WrittenValue.integer) ?? .other("an integer")
        case .double: return value.double.map(WrittenValue.number) ?? .other("a number")
        case .string: return value.string.map(WrittenValue.string) ?? .other("a string")
        case .bool: return value.bool.map(WrittenValue.boolean) ?? .other("a boolean")
        case .array: return .list(value.array.map { $0.map(written) } ?? [])
        case .table: return .table
        case .date: return .other("date \(value.debugDescription)")
        case .time: return .other("time \(value.debugDescription)")
        case .dateTime: return .other("date-time \(value.debugDescription)")
        }
    }

    /// Where the top-level `key` is written: `key =`, `"key" =`, `key.sub =` or a `[key]` header. TOMLKit
    /// gives no positions for values, so this reads the text; nil if not found (an escaped key).
    private static func tomlPlace(of key: String, in lines: [Substring]) -> (line: Int, column: Int)? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        func after(_ text: Substring, _ prefix: String) -> Substring? {
            text.hasPrefix(prefix) ? text.dropFirst(prefix.count).drop(while: { $0 == " " || $0 == "\t" }) : nil
        }
        for (index, line) in lines.enumerated() {
            let body = line.drop(while: { $0 == " " || $0 == "\t" })
            var candidates: [(Substring, Set<Character>)] = [(body, ["=", "."])]
            if let header = after(body, "[[") ?? after(body, "[") { candidates.append((header, ["]", "."])) }
            for (start, followers) in candidates {
                for spelling in spellings {
                    if let rest = after(start, spelling), let next = rest.first, followers.contains(next) {
                        return (index + 1, line.distance(from: line.startIndex, to: start.startIndex) + 1)
                    }
                }
            }
        }
        return nil
    }
}

// MARK: - YAML

extension RunFile {
    fileprivate static func yamlEntries(_ text: String, path: String) throws(RunFileError) -> [Entry] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw yamlError(error, path: path)
        } catch {
            throw RunFileError(path: path, reason: .syntax("YAML syntax error: \(error)"))
        }
        guard let root else { return [] }  // an empty file, or only comments
        guard case .mapping(let mapping) = root else {
            if case .scalar = root, root.tag.rawValue == Tag.Name.null.rawValue { return [] }
            throw RunFileError(path: path, line: root.mark?.line, column: root.mark?.column,
                               reason: .notAMapping(got: root.sequence != nil ? "a list" : "a single value"))
        }
        return mapping.map { pair in
            let key = pair.key.scalar?.string ?? "\(pair.key)"
            return Entry(key: key, value: written(pair.value), line: pair.key.mark?.line, column: pair.key.mark?.column)
        }
    }

    private static func written(_ node: Node) -> WrittenValue {
        switch node {
        case .mapping: return .table
        case .sequence(let sequence): return .list(sequence.map(written))
        case .alias(let alias): return .other("an alias (*\(alias.anchor))")
        case .scalar(let scalar):
            let resolved: WrittenValue
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .int: resolved = node.int.map(WrittenValue.integer) ?? .other("integer \(scalar.string) (out of range)")
            case .float: resolved = node.float.map(WrittenValue.number) ?? .other("number \(scalar.string)")
            case .bool: resolved = node.bool.map(WrittenValue.boolean) ?? .other("boolean \(scalar.string)")
            case .str: return scalar.style == .plain ? .plain(scalar.string, .string(scalar.string)) : .string(scalar.string)
            default: resolved = .other("\(node.tag.rawValue.split(separator: ":").last ?? "value") \(scalar.string)")
            }
            return scalar.style == .plain ? .plain(scalar.string, resolved) : resolved
        }
    }

    private static func yamlError(_ error: YamlError, path: String) -> RunFileError {
        func syntax(_ problem: String, _ context: YamlError.Context?, _ mark: Mark?) -> RunFileError {
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return RunFileError(path: path, line: mark?.line, column: mark?.column,
                                reason: .syntax("YAML syntax error: \(problem)\(during)"))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return syntax(problem, context, mark)
        case .reader(let problem, _, _, _):
            return syntax(problem, nil, nil)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "`\($0)`" }.joined(separator: ", ")
            return syntax("key \(keys) given more than once", nil, context.mark)
        default:
            return syntax("\(error)", nil, nil)
        }
    }
}
