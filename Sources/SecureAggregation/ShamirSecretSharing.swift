/// One party's share of a secret: the sharing polynomials evaluated at the party's point.
public struct ShamirShare: Sendable, Equatable, Hashable {
    /// The evaluation point (the holder's participant id, never 0).
    public var point: UInt32
    /// One field element per 7-byte chunk of the secret.
    public var values: [UInt64]

    public init(point: UInt32, values: [UInt64]) {
        self.point = point
        self.values = values
    }
}

/// t-of-n Shamir secret sharing (Shamir 1979) over GF(2⁶¹ − 1), as Bonawitz et al. 2017 use it
/// for the mask keys and self-mask seeds of secure aggregation.
///
/// Contract:
/// - ``share(_:threshold:points:using:)`` cuts the secret into 7-byte chunks and shares each with an
///   independent random polynomial of degree t − 1 whose constant term is the chunk. The coefficients
///   must come from a cryptographically secure generator.
/// - Any t shares with distinct non-zero points reconstruct the secret exactly
///   (``reconstruct(_:threshold:byteCount:)``, Lagrange interpolation at 0); fewer than t reveal
///   nothing about it. Malformed shares (a zero or repeated point, a wrong length, a value outside the
///   field, a chunk that does not decode) are errors, never a wrong secret silently returned.
public enum ShamirSecretSharing {
    static let chunkBytes = 7

    static func chunkCount(byteCount: Int) -> Int { (byteCount + chunkBytes - 1) / chunkBytes }

    /// Shares of `secret` for each point, any `threshold` of which reconstruct it.
    public static func share<G: RandomNumberGenerator>(_ secret: [UInt8], threshold: Int, points: [UInt32],
                                                       using generator: inout G) throws(SecAggError) -> [ShamirShare] {
        guard threshold >= 1, threshold <= points.count else {
            throw .invalidConfiguration("Shamir threshold \(threshold) must be in 1…\(points.count) (the number of share holders)")
        }
        guard Set(points).count == points.count, !points.contains(0) else {
            throw .invalidConfiguration("Shamir points must be distinct and non-zero")
        }
        let chunks = chunkCount(byteCount: secret.count)
        var shares = points.map { ShamirShare(point: $0, values: []) }
        for c in 0..<chunks {
            var constant: UInt64 = 0
            for k in 0..<chunkBytes where c * chunkBytes + k < secret.count {
                constant |= UInt64(secret[c * chunkBytes + k]) << (8 * UInt64(k))
            }
            let coefficients = [constant] + (1..<threshold).map { _ in PrimeField.random(using: &generator) }
            for i in shares.indices {
                let x = UInt64(shares[i].point)
                var y: UInt64 = 0
                for a in coefficients.reversed() { y = PrimeField.add(PrimeField.multiply(y, x), a) }  // Horner
                shares[i].values.append(y)
            }
        }
        return shares
    }

    /// The secret of `byteCount` bytes from at least `threshold` shares (the first `threshold` distinct
    /// points are used).
    public static func reconstruct(_ shares: [ShamirShare], threshold: Int, byteCount: Int) throws(SecAggError) -> [UInt8] {
        var seen = Set<UInt32>()
        let used = shares.filter { seen.insert($0.point).inserted }.prefix(threshold)
        guard used.count >= threshold, threshold >= 1 else {
            throw .notEnoughShares(have: used.count, need: threshold)
        }
        let chunks = chunkCount(byteCount: byteCount)
        for s in used {
            guard s.point != 0 else { throw .malformed("a share at point 0") }
            guard s.values.count == chunks else {
                throw .malformed("a share of \(s.values.count) chunk(s), expected \(chunks)")
            }
            guard s.values.allSatisfy({ $0 < PrimeField.p }) else { throw .malformed("a share value outside the field") }
        }
        // Lagrange basis at 0: λ_i = Π_{j≠i} x_j / (x_j − x_i).
        let xs = used.map { UInt64($0.point) }
        let lambdas = xs.indices.map { i -> UInt64 in
            var numerator: UInt64 = 1, denominator: UInt64 = 1
            for j in xs.indices where j != i {
                numerator = PrimeField.multiply(numerator, xs[j])
                denominator = PrimeField.multiply(denominator, PrimeField.subtract(xs[j], xs[i]))
            }
            return PrimeField.multiply(numerator, PrimeField.inverse(denominator))
        }
        var secret: [UInt8] = []
        secret.reserveCapacity(chunks * chunkBytes)
        for c in 0..<chunks {
            var value: UInt64 = 0
            for (k, s) in used.enumerated() { value = PrimeField.add(value, PrimeField.multiply(lambdas[k], s.values[c])) }
            guard value >> (8 * UInt64(chunkBytes)) == 0 else { throw .malformed("shares that do not reconstruct a secret") }
            for k in 0..<chunkBytes { secret.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
        }
        guard secret[byteCount...].allSatisfy({ $0 == 0 }) else { throw .malformed("shares that do not reconstruct a secret") }
        return Array(secret[..<byteCount])
    }
}
