import Foundation
import Testing
import TensorCore

@Suite("fastTanh: the rational tanh the MLP's forward pass uses")
struct FastTanhTests {
    @Test("within 5e-7 of Double tanh over [-12, 12] (2.4 million points), odd, and bounded by 1")
    func accuracy() {
        var worst = 0.0, worstAt: Float = 0
        let n = 2_400_000
        for i in 0...n {
            let x = Float(-12 + 24 * Double(i) / Double(n))
            let y = fastTanh(x)
            let error = abs(Double(y) - Foundation.tanh(Double(x)))
            if error > worst { worst = error; worstAt = x }
            #expect(abs(y) <= 1)
            if i % 997 == 0 { #expect(fastTanh(-x) == -y) }
        }
        #expect(worst < 5e-7, "worst error \(worst) at \(worstAt)")
    }

    @Test("tiny inputs return themselves; huge ones ±1; infinities ±1; NaN stays NaN")
    func edges() {
        #expect(fastTanh(1e-6) == 1e-6 && fastTanh(-3e-5) == -3e-5 && fastTanh(0) == 0)
        #expect(abs(fastTanh(50) - 1) < 1e-6 && abs(fastTanh(-1e30) + 1) < 1e-6)
        #expect(abs(fastTanh(.infinity) - 1) < 1e-6 && abs(fastTanh(-.infinity) + 1) < 1e-6)
        #expect(fastTanh(.nan).isNaN)
    }
}
