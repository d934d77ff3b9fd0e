import Federation
import TensorCore

/// Small updates and comparisons shared by the strategy tests.
enum StrategyTestSupport {
    /// Three hand-checked updates of length 4 with 10, 30 and 60 samples (weights 0.1, 0.3, 0.6).
    static let three: [ClientUpdate] = [
        update("a", [1, 2, 3, 4], samples: 10),
        update("b", [3, 0, -1, 8], samples: 30),
        update("c", [9, 4, 1, 0], samples: 60),
    ]

    /// ``three`` and two more: [−2, 10, 5, 1] and [4, 1, 2, 2].
    static let five: [ClientUpdate] = three + [
        update("d", [-2, 10, 5, 1], samples: 1),
        update("e", [4, 1, 2, 2], samples: 1),
    ]

    /// Four honest hospitals near [1, 1, 1, 1] and one malicious whose update is 10⁶ everywhere.
    static let attacked: [ClientUpdate] = [
        update("honest-1", [1.0, 0.9, 1.1, 1.0], samples: 100),
        update("honest-2", [0.9, 1.0, 1.0, 1.1], samples: 100),
        update("malicious", [1e6, 1e6, 1e6, 1e6], samples: 100),
        update("honest-3", [1.1, 1.0, 0.9, 1.0], samples: 100),
        update("honest-4", [1.0, 1.1, 1.0, 0.9], samples: 100),
    ]

    static func update(_ hospital: String, _ values: [Float], samples: Int = 1) -> ClientUpdate {
        ClientUpdate(hospital: hospital, delta: Tensor(values), sampleCount: samples)
    }

    /// Every scalar within `tolerance` of `expected`, and the same count.
    static func close(_ t: Tensor, _ expected: [Double], tolerance: Double = 1e-6) -> Bool {
        t.count == expected.count && zip(t.scalars, expected).allSatisfy { abs(Double($0) - $1) <= tolerance }
    }

    /// Every scalar within a relative `rtol` of `expected` (Float32 keeps about 7 digits).
    static func closeRelative(_ t: Tensor, _ expected: [Double], rtol: Double = 1e-6) -> Bool {
        t.count == expected.count && zip(t.scalars, expected).allSatisfy { abs(Double($0) - $1) <= rtol * abs($1) }
    }

    /// Every scalar within the honest range [0.9, 1.1].
    static func honest(_ t: Tensor) -> Bool {
        t.scalars.allSatisfy { $0 >= 0.9 - 1e-6 && $0 <= 1.1 + 1e-6 }
    }
}
