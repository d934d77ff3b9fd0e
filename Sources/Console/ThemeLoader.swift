import Foundation

/// A theme file that could not be read: which file, which line, what was wrong.
public struct ThemeError: Error, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based; 0 when the file itself could not be read.
    public var line: Int
    public var reason: String

    public var description: String { line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)" }
}

/// Finds and parses theme files (btop's format: `theme[key]="#rrggbb"`, `#` comments, blank lines).
///
/// Contract: themes are found, first match winning, in `--theme-dir`, `$XDG_CONFIG_HOME/fedtop/themes`
/// (`~/.config/fedtop/themes` without it), then the `Themes/` folder shipped beside the program
/// (next to the executable or up to four folders above it, then the current directory). A key the
/// file leaves out keeps the built-in default's colour; an empty value (`""`) too. A malformed line,
/// an unknown key or a bad colour is a ``ThemeError`` naming the file and line, and
/// ``load(_:)`` then answers with the default theme and the error.
public struct ThemeLoader: Sendable {
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// The search order for a run of the program at `executable`.
    public static func standard(themeDirectory: String?, environment: [String: String], executable: String,
                                currentDirectory: String) -> ThemeLoader {
        var dirs: [String] = []
        if let themeDirectory { dirs.append(themeDirectory) }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            dirs.append(xdg + "/fedtop/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            dirs.append(home + "/.config/fedtop/themes")
        }
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            dirs.append(dir.appendingPathComponent("Themes").path)
            dir = dir.deletingLastPathComponent()
        }
        dirs.append(currentDirectory + "/Themes")
        var seen = Set<String>()
        return ThemeLoader(directories: dirs.filter { seen.insert($0).inserted })
    }

    /// Theme names found, `default` first, then alphabetically.
    public func available() -> [String] {
        var names = Set(["default"])
        for dir in directories {
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for f in files where f.hasSuffix(".theme") { names.insert(String(f.dropLast(6))) }
        }
        return ["default"] + names.subtracting(["default"]).sorted()
    }

    /// The file of a theme: `name` itself when it is a path (it has a `/` or ends in `.theme`),
    /// else the first `name.theme` in the search order.
    public func path(of name: String) -> String? {
        if name.contains("/") || name.hasSuffix(".theme") { return FileManager.default.fileExists(atPath: name) ? name : nil }
        for dir in directories {
            let p = dir + "/" + name + ".theme"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The named theme (or the theme file at a path), or the default with the reason it could not be used.
    public func load(_ name: String) -> (theme: Theme, error: ThemeError?) {
        guard let path = path(of: name) else {
            if name == "default" { return (.dark, nil) }
            if name.contains("/") || name.hasSuffix(".theme") { return (.dark, ThemeError(path: name, line: 0, reason: "no such file")) }
            let found = available().joined(separator: ", ")
            return (.dark, ThemeError(path: "theme '\(name)'", line: 0,
                                      reason: "no such theme (found: \(found); or a path to a .theme file)"))
        }
        do {
            return (try Self.parse(contentsOf: path, name: name), nil)
        } catch let error as ThemeError {
            return (.dark, error)
        } catch {
            return (.dark, ThemeError(path: path, line: 0, reason: "\(error)"))
        }
    }

    /// Reads and parses the theme file at `path`.
    public static func parse(contentsOf path: String, name: String) throws -> Theme {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(path: path, line: 0, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ThemeError(path: path, line: 0, reason: "is not UTF-8 text") }
        return try parse(text, name: name, path: path)
    }

    /// Parses a theme file's text; missing keys fall back to ``Theme/dark``.
    public static func parse(_ text: String, name: String, path: String) throws(ThemeError) -> Theme {
        var theme = Theme.dark
        theme.name = name
        let roleByKey = Dictionary(uniqueKeysWithValues: Theme.keys.map { ($0.value, $0.key) })
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ reason: String) -> ThemeError { ThemeError(path: path, line: index + 1, reason: reason) }
            guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]") else {
                throw fail("expected theme[key]=\"#rrggbb\", got '\(line)'")
            }
            let key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
            var rest = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix("=") else { throw fail("expected '=' after theme[\(key)]") }
            rest = String(rest.dropFirst()).trimmingCharacters(in: .whitespaces)
            if let hash = rest.range(of: " #") { rest = rest[..<hash.lowerBound].trimmingCharacters(in: .whitespaces) }
            guard rest.count >= 2, rest.hasPrefix("\""), rest.hasSuffix("\"") else {
                throw fail("the value of theme[\(key)] must be in double quotes, got \(rest)")
            }
            let value = String(rest.dropFirst().dropLast())
            let color: Theme.RGB?
            if value.isEmpty {
                color = nil
            } else {
                guard let c = Theme.RGB(hex: value) else { throw fail("theme[\(key)]: '\(value)' is not a colour (#rrggbb or #rgb)") }
                color = c
            }
            switch key {
            case Theme.backgroundKey: theme.background = color
            case Theme.selectionBackgroundKey: theme.selectionBackground = color ?? Theme.dark.selectionBackground
            default:
                guard let role = roleByKey[key] else {
                    let known = ([Theme.backgroundKey, Theme.selectionBackgroundKey] + Theme.keys.values.sorted()).joined(separator: ", ")
                    throw fail("unknown key '\(key)' (known: \(known))")
                }
                theme.colors[role] = color ?? Theme.dark.colors[role]
            }
        }
        return theme
    }
}
