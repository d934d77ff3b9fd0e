import Foundation
import Testing
@testable import Privacy

@Suite("FFT")
struct FFTTests {
    @Test("the forward transform equals the direct DFT, and the inverse restores the input", arguments: [1, 2, 8, 64])
    func againstDFT(n: Int) {
        let xr = (0..<n).map { sin(Double($0) * 1.3) + 0.2 }, xi = (0..<n).map { cos(Double($0) * 0.7) }
        var r = xr, i = xi
        FFT.transform(&r, &i, inverse: false)
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for t in 0..<n {
                let a = -2 * Double.pi * Double(k * t) / Double(n)
                sr += xr[t] * cos(a) - xi[t] * sin(a)
                si += xr[t] * sin(a) + xi[t] * cos(a)
            }
            #expect(abs(r[k] - sr) < 1e-9 && abs(i[k] - si) < 1e-9)
        }
        FFT.transform(&r, &i, inverse: true)
        for k in 0..<n { #expect(abs(r[k] - xr[k]) < 1e-12 && abs(i[k] - xi[k]) < 1e-12) }
    }

    @Test("circular convolution by FFT equals the direct sum")
    func convolution() {
        let n = 16
        let a = (0..<n).map { Double($0 % 5) }, b = (0..<n).map { Double(($0 * 3) % 7) }
        var ar = a, ai = [Double](repeating: 0, count: n), br = b, bi = [Double](repeating: 0, count: n)
        FFT.transform(&ar, &ai, inverse: false)
        FFT.transform(&br, &bi, inverse: false)
        var cr = (0..<n).map { ar[$0] * br[$0] - ai[$0] * bi[$0] }, ci = (0..<n).map { ar[$0] * bi[$0] + ai[$0] * br[$0] }
        FFT.transform(&cr, &ci, inverse: true)
        for k in 0..<n {
            let direct = (0..<n).reduce(0.0) { $0 + a[$1] * b[(k - $1 + n) % n] }
            #expect(abs(cr[k] - direct) < 1e-9)
        }
    }
}
