/// What the console's loop (``ConsoleSession``) needs of a terminal: ncursesw in production
/// (``TerminalDriver``), a scripted screen in memory for tests.
///
/// Contract: ``begin(options:theme:)`` takes the terminal (raw keys, alternate screen) and
/// ``end()`` gives it back exactly as it was, whatever happened in between; ``readKey(timeout:)``
/// waits at most `timeout` milliseconds; ``draw(_:)`` shows the whole virtual screen (sending only
/// what changed is the implementation's business).
public protocol Terminal: AnyObject {
    func begin(options: TerminalDriver.Options, theme: Theme) throws
    func end()
    /// False once the terminal has gone (a hang-up): the session then stops as on SIGHUP.
    var terminalAttached: Bool { get }
    var size: (width: Int, height: Int) { get }
    var depth: ColorDepth { get }
    func setTheme(_ theme: Theme)
    func readKey(timeout milliseconds: Int) -> Key?
    func draw(_ screen: Screen)
}

extension TerminalDriver: Terminal {
    public func begin(options: Options, theme: Theme) throws { try start(options: options, theme: theme) }
    public func end() { stop() }
}
