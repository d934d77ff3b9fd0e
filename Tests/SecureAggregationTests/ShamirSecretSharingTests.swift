import Testing
import Privacy
@testable import SecureAggregation

@Suite("Shamir secret sharing")
struct ShamirSecretSharingTests {
    func secret(_ g: inout ChaCha20Generator, _ n: Int = 32) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) } }

    @Test("any t of n shares reconstruct the secret; t − 1 are refused", arguments: [(2, 3), (3, 5), (6, 10), (11, 21), (1, 1)])
    func thresholds(t: Int, n: Int) throws {
        var g = ChaCha20Generator(seed: UInt64(t * 100 + n))
        let s = secret(&g)
        let points = (1...UInt32(n)).map { $0 * 7 }
        let shares = try ShamirSecretSharing.share(s, threshold: t, points: points, using: &g)
        for _ in 0..<20 {
            let subset = Array(shares.shuffled(using: &g).prefix(t))
            #expect(try ShamirSecretSharing.reconstruct(subset, threshold: t, byteCount: 32) == s)
        }
        if t > 1 {
            #expect(throws: SecAggError.notEnoughShares(have: t - 1, need: t)) {
                try ShamirSecretSharing.reconstruct(Array(shares.prefix(t - 1)), threshold: t, byteCount: 32)
            }
        }
    }

    @Test("t − 1 shares are consistent with every secret: the same shares fit a different secret's polynomial")
    func hiding() throws {
        // With t − 1 shares fixed, any candidate secret s' defines a degree-(t−1) polynomial through them:
        // adding a share at a new point interpolates to s'. So the shares carry no information about s.
        var g = ChaCha20Generator(seed: 9)
        let s = secret(&g, 7), other = secret(&g, 7)
        let shares = try ShamirSecretSharing.share(s, threshold: 3, points: [1, 2, 3], using: &g)
        let two = Array(shares.prefix(2))
        // The polynomial through (0, other) and the two shares, evaluated at 3.
        let xs: [UInt64] = [0, 1, 2]
        let ys: [UInt64] = [other.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) },
                            two[0].values[0], two[1].values[0]]
        var y3: UInt64 = 0
        for i in 0..<3 {
            var num: UInt64 = 1, den: UInt64 = 1
            for j in 0..<3 where j != i {
                num = PrimeField.multiply(num, PrimeField.subtract(3, xs[j]))
                den = PrimeField.multiply(den, PrimeField.subtract(xs[i], xs[j]))
            }
            y3 = PrimeField.add(y3, PrimeField.multiply(ys[i], PrimeField.multiply(num, PrimeField.inverse(den))))
        }
        let forged = two + [ShamirShare(point: 3, values: [y3])]
        #expect(try ShamirSecretSharing.reconstruct(forged, threshold: 3, byteCount: 7) == other)
    }

    @Test("malformed shares are errors, never a wrong secret")
    func malformed() throws {
        var g = ChaCha20Generator(seed: 3)
        let shares = try ShamirSecretSharing.share(secret(&g), threshold: 2, points: [1, 2, 3], using: &g)
        var short = shares[0]; short.values.removeLast()
        #expect(throws: SecAggError.self) { try ShamirSecretSharing.reconstruct([short, shares[1]], threshold: 2, byteCount: 32) }
        var outside = shares[0]; outside.values[0] = PrimeField.p
        #expect(throws: SecAggError.self) { try ShamirSecretSharing.reconstruct([outside, shares[1]], threshold: 2, byteCount: 32) }
        #expect(throws: SecAggError.notEnoughShares(have: 1, need: 2)) {
            try ShamirSecretSharing.reconstruct([shares[0], shares[0]], threshold: 2, byteCount: 32)
        }
        #expect(throws: SecAggError.self) { try ShamirSecretSharing.share([1], threshold: 2, points: [1, 1], using: &g) }
        #expect(throws: SecAggError.self) { try ShamirSecretSharing.share([1], threshold: 4, points: [1, 2, 3], using: &g) }
    }
}
