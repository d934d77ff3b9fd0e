#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import _CryptoExtras
import TensorCore

/// A cryptographically secure random generator: the ChaCha20 keystream (RFC 8439, 20 rounds) under
/// a 256-bit key, as a `RandomNumberGenerator`. The keystream comes from BoringSSL's optimised
/// ChaCha20 (swift-crypto's `Insecure.ChaCha20CTR` over zeros), 16 KB at a time.
///
/// Contract: `init()` keys it from the kernel's secure source (`/dev/urandom`), and is the
/// noise source whose privacy fedtop reports. `init(key:stream:)` gives a reproducible keystream for
/// tests and seeded runs only; any ε reported for such a run says that its noise was seeded.
/// Independent streams of one key (per worker, per hospital) use different `stream` values (the
/// RFC's nonce), so parallel noise never repeats.
public struct ChaCha20Generator: RandomWordSource, @unchecked Sendable {
    /// Keystream bytes per refill (256 ChaCha20 blocks).
    static let refillBytes = 16_384
    private static let zeros = [UInt8](repeating: 0, count: refillBytes)

    private let key: SymmetricKey
    private let nonce: Insecure.ChaCha20CTR.Nonce
    private var counter: UInt32
    private var buffer: [UInt64] = []
    private var index = 0

    /// Whether the key came from the kernel (false for seeded, reproducible keystreams).
    public let isSecure: Bool

    /// A generator keyed from the kernel's secure random source.
    /// - Throws: ``SecureRandomError`` when it cannot be read: fedtop never falls back to weaker noise.
    public init() throws(SecureRandomError) {
        self.init(key: try ChaCha20Generator.secureKey(), stream: 0, counter: 0, secure: true)
    }

    /// 32 bytes from the kernel's secure random source.
    public static func secureKey() throws(SecureRandomError) -> [UInt8] {
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
        return key
    }

    /// A keystream for `key` and `stream` (the nonce: 4 zero bytes, then the stream little-endian);
    /// `secure` says whether the key came from ``secureKey()``. Seeded keys are for tests and
    /// reproducible runs only.
    public init(key: [UInt8], stream: UInt64 = 0, counter: UInt32 = 0, secure: Bool = false) {
        var nonce = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { nonce[4 + i] = UInt8(truncatingIfNeeded: stream >> (8 * UInt64(i))) }
        self.init(key: key, counter: counter, nonceBytes: nonce, secure: secure)
    }

    /// A reproducible keystream from a 64-bit seed (see ``seededKey(_:)``).
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.init(key: ChaCha20Generator.seededKey(seed), stream: stream)
    }

    /// The key of a seeded (reproducible, not secure) run: the seed little-endian, zero-padded.
    public static func seededKey(_ seed: UInt64) -> [UInt8] {
        (0..<32).map { $0 < 8 ? UInt8(truncatingIfNeeded: seed >> (8 * UInt64($0))) : 0 }
    }

    /// RFC 8439's layout, for its test vectors: a 32-bit block counter and a 96-bit nonce.
    init(key: [UInt8], counter: UInt32, nonceBytes: [UInt8], secure: Bool = false) {
        precondition(key.count == 32 && nonceBytes.count == 12, "ChaCha20Generator: 32-byte key and 12-byte nonce")
        self.key = SymmetricKey(data: key)
        self.nonce = try! Insecure.ChaCha20CTR.Nonce(data: nonceBytes)  // the length is checked above
        self.counter = counter
        isSecure = secure
    }

    /// The next `refillBytes` of keystream: ChaCha20 of zeros (BoringSSL's implementation).
    mutating func nextKeystream() -> [UInt8] { [UInt8](nextKeystreamData()) }

    private mutating func nextKeystreamData() -> Data {
        precondition(counter <= UInt32.max - UInt32(ChaCha20Generator.refillBytes / 64),
                     "ChaCha20Generator: stream exhausted (2³² blocks); use a new stream")
        let bytes = try! Insecure.ChaCha20CTR.encrypt(ChaCha20Generator.zeros, using: key,
                                                      counter: try! .init(data: withUnsafeBytes(of: counter.littleEndian, Array.init)),
                                                      nonce: nonce)
        counter += UInt32(ChaCha20Generator.refillBytes / 64)
        return bytes
    }

    public mutating func next() -> UInt64 {
        if index == buffer.count { refill() }
        defer { index += 1 }
        return buffer[index]
    }

    /// The next `words.count` words, as as many calls of ``next()`` would give, copied from the
    /// keystream buffer a refill at a time.
    public mutating func fill(words: UnsafeMutableBufferPointer<UInt64>) {
        guard let target = words.baseAddress else { return }
        var filled = 0
        while filled < words.count {
            if index == buffer.count { refill() }
            let n = min(words.count - filled, buffer.count - index)
            buffer.withUnsafeBufferPointer { source in (target + filled).update(from: source.baseAddress! + index, count: n) }
            index += n
            filled += n
        }
    }

    /// Replaces the buffer with the next `refillBytes` of keystream, read as little-endian words: one
    /// copy from the cipher's output into a buffer kept across refills (the noise of a model-sized
    /// vector is millions of words).
    private mutating func refill() {
        let bytes = nextKeystreamData()
        let words = ChaCha20Generator.refillBytes / 8
        if buffer.count != words { buffer = [UInt64](repeating: 0, count: words) }
        buffer.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<target.count])) }
        }
        #if _endian(big)
        for i in buffer.indices { buffer[i] = UInt64(littleEndian: buffer[i]) }
        #endif
        index = 0
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
