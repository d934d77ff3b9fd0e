import Testing
import Privacy
@testable import SecureAggregation

@Suite("GF(2⁶¹ − 1)")
struct PrimeFieldTests {
    @Test("products and sums agree with 128-bit arithmetic; inverses invert")
    func arithmetic() {
        var g = ChaCha20Generator(seed: 1)
        let p = UInt128(PrimeField.p)
        for _ in 0..<2000 {
            let a = PrimeField.random(using: &g), b = PrimeField.random(using: &g)
            #expect(UInt128(PrimeField.multiply(a, b)) == UInt128(a) * UInt128(b) % p)
            #expect(UInt128(PrimeField.add(a, b)) == (UInt128(a) + UInt128(b)) % p)
            #expect(PrimeField.add(PrimeField.subtract(a, b), b) == a)
            if a != 0 { #expect(PrimeField.multiply(a, PrimeField.inverse(a)) == 1) }
        }
        #expect(PrimeField.multiply(PrimeField.p - 1, PrimeField.p - 1) == 1)  // (−1)² = 1
    }
}
