#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cryptographically secure random generator: the ChaCha20 keystream (RFC 8439, 20 rounds) under
/// a 256-bit key, as a `RandomNumberGenerator`.
///
/// Contract: `init()` keys it from the kernel's secure source (`/dev/urandom`), and is the
/// noise source whose privacy fedtop reports. `init(key:stream:)` gives a reproducible keystream for
/// tests and seeded runs only; any ε reported for such a run says that its noise was seeded.
/// Independent streams of one key (per worker, per hospital) use different `stream` values (the
/// RFC's nonce), so parallel noise never repeats.
public struct ChaCha20Generator: RandomNumberGenerator, Sendable {
    private var state: [UInt32]      // 16 words: constants, key, counter, nonce
    private var block: [UInt32] = [UInt32](repeating: 0, count: 16)
    private var used = 16            // words of `block` consumed (16: refill)

    /// Whether the key came from the operating system (false for seeded, reproducible keystreams).
    public let isSecure: Bool

    /// A generator keyed from the kernel's secure random source.
    /// - Throws: ``SecureRandomError`` when it cannot be read: fedtop never falls back to weaker noise.
    public init() throws(SecureRandomError) {
        var key = [UInt8](repeating: 0, count: 32)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SecureRandomError(reason: "cannot open /dev/urandom", errno: errno) }
        defer { close(fd) }
        var filled = 0
        while filled < key.count {
            let n = key[filled...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SecureRandomError(reason: "cannot read /dev/urandom", errno: errno) }
            filled += n
        }
        self.init(key: key, stream: 0, secure: true)
    }

    /// A reproducible keystream: for tests and seeded runs only.
    public init(key: [UInt8], stream: UInt64 = 0, counter: UInt32 = 0) {
        self.init(key: key, stream: stream, counter: counter, secure: false)
    }

    /// A reproducible keystream from a 64-bit seed (its key is the seed, zero-padded).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var key = [UInt8](repeating: 0, count: 32)
        for i in 0..<8 { key[i] = UInt8(truncatingIfNeeded: seed >> (8 * UInt64(i))) }
        self.init(key: key, stream: stream, secure: false)
    }

    private init(key: [UInt8], stream: UInt64, counter: UInt32 = 0, secure: Bool) {
        precondition(key.count == 32, "ChaCha20Generator: the key must be 32 bytes, got \(key.count)")
        func word(_ b: [UInt8], _ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        state = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
        for i in 0..<8 { state.append(word(key, 4 * i)) }
        state += [counter, 0, UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)]
        isSecure = secure
    }

    /// The RFC 8439 nonce words and counter, for a key/nonce test vector: (counter, nonce0, nonce1, nonce2).
    init(key: [UInt8], counter: UInt32, nonce: (UInt32, UInt32, UInt32)) {
        self.init(key: key, stream: 0, counter: counter, secure: false)
        state[13] = nonce.0; state[14] = nonce.1; state[15] = nonce.2
    }

    /// The next 64-byte keystream block as 16 little-endian words (advances the counter).
    mutating func nextBlock() -> [UInt32] {
        var x = state
        @inline(__always) func quarter(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 16 | x[d] >> 16
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 12 | x[b] >> 20
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 8 | x[d] >> 24
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 7 | x[b] >> 25
        }
        for _ in 0..<10 {
            quarter(0, 4, 8, 12); quarter(1, 5, 9, 13); quarter(2, 6, 10, 14); quarter(3, 7, 11, 15)
            quarter(0, 5, 10, 15); quarter(1, 6, 11, 12); quarter(2, 7, 8, 13); quarter(3, 4, 9, 14)
        }
        for i in 0..<16 { x[i] &+= state[i] }
        state[12] &+= 1
        if state[12] == 0 { state[13] &+= 1 }  // 64-bit block counter within one stream
        return x
    }

    public mutating func next() -> UInt64 {
        if used >= 15 {
            block = nextBlock()
            used = 0
        }
        let value = UInt64(block[used]) | UInt64(block[used + 1]) << 32
        used += 2
        return value
    }
}

/// The kernel's secure random source could not be read, so no secure noise can be drawn.
public struct SecureRandomError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var errno: Int32
    public var description: String {
        "\(reason): \(String(cString: strerror(errno))); refusing to draw privacy noise without a secure key"
    }
}
