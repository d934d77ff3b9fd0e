#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-place iterative radix-2 complex FFT in Double (Cooley & Tukey 1965), for composing privacy
/// loss distributions by convolution.
///
/// Contract: `re.count == im.count` is a power of two; the forward transform is
/// X[k] = Σₙ x[n]·e^(−2πikn/N); the inverse includes the 1/N factor, so inverse(forward(x)) = x.
enum FFT {
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        precondition(n == im.count && n > 0 && n & (n - 1) == 0, "FFT: size \(n) is not a power of two")
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { i in
                // Bit-reversal permutation.
                var j = 0
                for k in 1..<max(n, 1) {
                    var bit = n >> 1
                    while j & bit != 0 { j ^= bit; bit >>= 1 }
                    j |= bit
                    if k < j { r.swapAt(k, j); i.swapAt(k, j) }
                }
                var length = 2
                let sign: Double = inverse ? 1 : -1
                while length <= n {
                    let angle = sign * 2 * Double.pi / Double(length)
                    let half = length / 2
                    // Twiddles for this stage, computed directly (no accumulated rounding).
                    var wr = [Double](repeating: 0, count: half), wi = [Double](repeating: 0, count: half)
                    for k in 0..<half { wr[k] = cos(angle * Double(k)); wi[k] = sin(angle * Double(k)) }
                    var start = 0
                    while start < n {
                        for k in 0..<half {
                            let a = start + k, b = a + half
                            let tr = r[b] * wr[k] - i[b] * wi[k]
                            let ti = r[b] * wi[k] + i[b] * wr[k]
                            r[b] = r[a] - tr; i[b] = i[a] - ti
                            r[a] += tr; i[a] += ti
                        }
                        start += length
                    }
                    length <<= 1
                }
                if inverse {
                    let scale = 1 / Double(n)
                    for k in 0..<n { r[k] *= scale; i[k] *= scale }
                }
            }
        }
    }
}
