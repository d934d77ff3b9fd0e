/// tanh for Float32 as a rational function, the approximation Eigen (and so TensorFlow) uses for
/// its vectorised `tanh`: an odd degree-13 polynomial over an even degree-6 one on x clamped to
/// ±7.9053 (where tanh rounds to ±1 in Float32), and x itself for |x| < 0.0004.
///
/// Contract: finite for every finite input, odd, |result| ≤ 1, and within 5·10⁻⁷ (about four Float32 ulps of 1) of the exact tanh
/// (checked against Double `tanh` in the tests); NaN gives NaN. Straight-line arithmetic with no
/// calls, so loops over it vectorise — libm's `tanhf` goes through `expm1f` one element at a time
/// and was the most expensive part of an MLP's forward pass.
@inline(__always)
public func fastTanh(_ input: Float) -> Float {
    let x = min(max(input, -7.905_311_107_635_498), 7.905_311_107_635_498)
    let x2 = x * x
    var p: Float = -2.760_768_477_423_55e-16
    p = p * x2 + 2.000_187_904_824_77e-13
    p = p * x2 - 8.604_671_522_137_35e-11
    p = p * x2 + 5.122_297_090_371_14e-08
    p = p * x2 + 1.485_722_357_179_79e-05
    p = p * x2 + 6.372_619_288_754_36e-04
    p = p * x2 + 4.893_524_558_917_86e-03
    p *= x
    var q: Float = 1.198_258_394_667_02e-06
    q = q * x2 + 1.185_347_056_866_54e-04
    q = q * x2 + 2.268_434_632_439_00e-03
    q = q * x2 + 4.893_525_185_543_85e-03
    let y = p / q
    // Keep NaN as NaN (the clamp above would turn it into ±7.9).
    if input.isNaN { return input }
    return abs(input) < 0.0004 ? input : y
}
