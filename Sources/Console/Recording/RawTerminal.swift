import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The terminal as ``CastPlayer`` needs it, without curses: stdin in raw mode (keys one at a time,
/// no echo, Ctrl-C as a key), keys read with a timeout (blocking in `poll`, so a paused replay
/// sleeps), output written straight to stdout, the height from the terminal.
///
/// Contract: ``restore()`` is idempotent and puts back the settings stdin had and writes `farewell`
/// (the player's ``CastPlayer/leaveScreen``); it runs on ``restore()``, at `exit` (atexit), and on
/// SIGTERM, SIGHUP and SIGINT (which then end the process with 128 + the signal), so the shell gets
/// its terminal back however the replay ends short of a crash. One raw terminal at a time.
public final class RawTerminal {
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var active = false
    nonisolated(unsafe) private static var farewell: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var registered = false

    /// Puts stdin in raw mode; fails when stdin is not a terminal.
    public init(farewell: String) throws(ConsoleError) {
        var settings = termios()
        guard tcgetattr(0, &settings) == 0 else { throw .terminal("stdin is not a terminal") }
        Self.saved = settings
        let bytes = Array(farewell.utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        Self.farewell?.deallocate()
        Self.farewell = buffer
        var raw = settings
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(0, TCSAFLUSH, &raw) == 0 else { throw .terminal("cannot put the terminal in raw mode") }
        Self.active = true
        if !Self.registered {
            Self.registered = true
            atexit { RawTerminal.restoreNow() }
        }
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { sig in
                RawTerminal.restoreNow()
                _exit(128 + sig)
            }
        }
    }

    /// Restores the terminal (idempotent) and the default signal handling; `sayingFarewell: false`
    /// when the player has already written its farewell.
    public func restore(sayingFarewell: Bool = true) {
        if !sayingFarewell { Self.farewell?.deallocate(); Self.farewell = nil }
        Self.restoreNow()
        for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
    }

    /// Async-signal-safe: `write` and `tcsetattr` only.
    private static func restoreNow() {
        guard active else { return }
        active = false
        if let farewell, let base = farewell.baseAddress { _ = Glibc.write(1, base, farewell.count) }
        _ = tcsetattr(0, TCSAFLUSH, &saved)
    }

    /// Rows of the terminal (24 when it does not say).
    public var rows: Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return 24 }
        return Int(size.ws_row)
    }

    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Bytes read but not yet turned into keys (keys typed together arrive in one read).
    private var pending: [UInt8] = []

    /// Waits up to `timeout` seconds (nil: until a key) for a key. A lone Esc is `.escape`; other
    /// escape sequences (arrows, function keys) are read whole and ignored; Ctrl-C is `.interrupt`,
    /// and so is the end of input (the terminal gone).
    public func key(timeout: Double?) -> Key? {
        if pending.isEmpty {
            var fd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ms = timeout.map { Int32(min(max(0, $0 * 1000).rounded(.up), 86_400_000)) } ?? -1
            guard poll(&fd, 1, ms) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 { return errno == EINTR || errno == EAGAIN ? nil : .interrupt }
            if n == 0 { return .interrupt }
            pending = Array(buffer.prefix(n))
        }
        let byte = pending.removeFirst()
        switch byte {
        case 3: return .interrupt
        case 27:
            guard let next = pending.first, next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else { return .escape }
            // CSI or SS3: up to and including the final byte (@ to ~).
            pending.removeFirst()
            while let b = pending.first {
                pending.removeFirst()
                if (64...126).contains(b) { break }
            }
            return nil
        case 13, 10: return .enter
        case 32...126: return .character(Character(Unicode.Scalar(byte)))
        default: return nil
        }
    }
}
