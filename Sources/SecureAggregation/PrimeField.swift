/// Arithmetic in GF(p) for p = 2⁶¹ − 1, a Mersenne prime, the field of fedtop's Shamir sharing.
///
/// Contract: every value is kept reduced to [0, p); products use the full 122-bit width and
/// Mersenne folding (x mod p = (x & p) + (x >> 61), folded until below p), so nothing overflows.
/// A secret is cut into 7-byte (56-bit) chunks, each below p, so one field element carries one chunk.
public enum PrimeField {
    /// 2⁶¹ − 1.
    public static let p: UInt64 = (1 << 61) - 1

    @inline(__always) static func reduce(_ x: UInt64) -> UInt64 {
        var r = (x & p) &+ (x >> 61)
        if r >= p { r -= p }
        return r
    }

    @inline(__always) public static func add(_ a: UInt64, _ b: UInt64) -> UInt64 { reduce(a &+ b) }

    @inline(__always) public static func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : p - (b - a) }

    @inline(__always) public static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        // x = high·2⁶⁴ + low = (high·2³ + low >> 61)·2⁶¹ + (low & p); 2⁶¹ ≡ 1 (mod p).
        let upper = (high << 3) | (low >> 61)
        return reduce(reduce(low & p) &+ reduce(upper))
    }

    /// a^e by squaring.
    public static func power(_ a: UInt64, _ e: UInt64) -> UInt64 {
        var result: UInt64 = 1, base = a, e = e
        while e > 0 {
            if e & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            e >>= 1
        }
        return result
    }

    /// a⁻¹ by Fermat (a ≠ 0).
    public static func inverse(_ a: UInt64) -> UInt64 { power(a, p - 2) }

    /// A uniform element of [0, p) by rejection from 61-bit draws.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> UInt64 {
        while true {
            let x = generator.next() >> 3
            if x < p { return x }
        }
    }
}
