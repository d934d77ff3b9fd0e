/// An RGB colour with components in [0, 1].
struct RGB: Sendable {
    var r: Float, g: Float, b: Float

    init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `self` moved towards `other` by `t` (0 keeps `self`, 1 gives `other`).
    @inline(__always) func mixed(with other: RGB, _ t: Float) -> RGB {
        RGB(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }

    @inline(__always) static func * (c: RGB, s: Float) -> RGB { RGB(c.r * s, c.g * s, c.b * s) }

    /// Rec. 601 luma.
    var lightness: Float { 0.299 * r + 0.587 * g + 0.114 * b }
}

/// The dermoscopic colours the lesions are painted with (after the colours named in the ABCD rule:
/// light brown, dark brown, black, blue-grey, red, white), plus the class-typical pinks and purples.
enum DermoscopyColour {
    static let lightBrown = RGB(0.72, 0.53, 0.36)
    static let mediumBrown = RGB(0.53, 0.34, 0.21)
    static let darkBrown = RGB(0.34, 0.20, 0.12)
    static let black = RGB(0.13, 0.09, 0.08)
    static let blueGrey = RGB(0.42, 0.47, 0.57)
    static let red = RGB(0.74, 0.26, 0.26)
    static let darkRed = RGB(0.45, 0.08, 0.15)
    static let pink = RGB(0.87, 0.60, 0.60)
    static let pearl = RGB(0.92, 0.80, 0.80)
    static let purple = RGB(0.50, 0.22, 0.42)
    static let white = RGB(0.94, 0.90, 0.86)
    static let hair = RGB(0.14, 0.10, 0.08)
}

/// The distribution of the drawing parameters of one diagnostic class: what makes a class look like
/// itself under the ABCD rule, with ranges wide enough that neighbouring classes overlap.
///
/// Units: radii in pixels of a 28-pixel image; asymmetry and border are relative amplitudes of the
/// outline's low (k = 1...3) and high (k = 4...11) angular harmonics; softness is the width of the
/// blurred rim relative to the radius.
struct LesionProfile: Sendable {
    /// Mean and standard deviation of the radius (Diameter).
    var radius: (mean: Float, sd: Float)
    /// Range of the low-harmonic amplitude (Asymmetry).
    var asymmetry: ClosedRange<Float>
    /// Range of the high-harmonic amplitude (Border irregularity).
    var border: ClosedRange<Float>
    /// Range of the blurred rim width.
    var softness: ClosedRange<Float>
    /// The largest offset of the lesion from the image centre, in pixels.
    var offCentre: Float
    /// The base colours (one is picked and jittered).
    var base: [RGB]
    /// Range of the lesion's opacity over the skin (bcc is translucent).
    var opacity: ClosedRange<Float>
    /// How many extra colour areas (Colour variegation) and the colours they take.
    var colourAreas: ClosedRange<Int>
    var areaColours: [RGB]
    /// Darker centre (0 none).
    var centreDarkening: ClosedRange<Float>
    /// Amplitude of the coarse mottled texture (bkl's waxy surface).
    var texture: ClosedRange<Float>
    /// Class-specific structures.
    var paleCentre: ClosedRange<Float> = 0...0        // df: scar-like white centre
    var vessels: ClosedRange<Int> = 0...0             // bcc: arborising red vessels
    var sheen: ClosedRange<Float> = 0...0             // bcc: pearly translucent highlight
    var scale: ClosedRange<Float> = 0...0             // akiec: rough white scale
    var milia: ClosedRange<Int> = 0...0               // bkl: milia-like bright cysts
    var lacunae: ClosedRange<Int> = 0...0             // vasc: dark red lacunae

    typealias C = DermoscopyColour

    /// The profiles in the order of ``LesionGenerator/classNames``.
    static let all: [LesionProfile] = [akiec, bcc, bkl, df, mel, nv, vasc]

    static let akiec = LesionProfile(
        radius: (7.0, 1.8), asymmetry: 0.05...0.25, border: 0.04...0.12, softness: 0.15...0.35, offCentre: 2,
        base: [RGB(0.80, 0.45, 0.42), RGB(0.78, 0.50, 0.45)], opacity: 0.55...0.85,
        colourAreas: 1...2, areaColours: [C.red, C.pink, C.lightBrown], centreDarkening: 0...0.05,
        texture: 0.04...0.10, scale: 0.10...0.25)

    static let bcc = LesionProfile(
        radius: (7.0, 1.8), asymmetry: 0.05...0.25, border: 0.03...0.10, softness: 0.08...0.20, offCentre: 2,
        base: [C.pearl, RGB(0.86, 0.66, 0.66)], opacity: 0.45...0.75,
        colourAreas: 0...2, areaColours: [C.blueGrey, C.pink, C.mediumBrown], centreDarkening: 0...0.05,
        texture: 0.02...0.06, vessels: 1...3, sheen: 0.10...0.35)

    static let bkl = LesionProfile(
        radius: (7.5, 2.0), asymmetry: 0.05...0.30, border: 0.03...0.12, softness: 0.05...0.15, offCentre: 2,
        base: [RGB(0.74, 0.55, 0.42), RGB(0.68, 0.50, 0.38)], opacity: 0.70...0.95,
        colourAreas: 0...2, areaColours: [C.mediumBrown, C.lightBrown, C.darkBrown], centreDarkening: 0...0.08,
        texture: 0.08...0.18, milia: 0...3)

    static let df = LesionProfile(
        radius: (4.8, 1.0), asymmetry: 0.0...0.12, border: 0.01...0.06, softness: 0.15...0.30, offCentre: 1.5,
        base: [C.mediumBrown, RGB(0.62, 0.44, 0.32)], opacity: 0.60...0.90,
        colourAreas: 0...1, areaColours: [C.lightBrown, C.pink], centreDarkening: 0...0,
        texture: 0.02...0.06, paleCentre: 0.5...0.9)

    static let mel = LesionProfile(
        radius: (8.5, 2.2), asymmetry: 0.12...0.40, border: 0.06...0.18, softness: 0.03...0.15, offCentre: 3,
        base: [C.darkBrown, C.mediumBrown], opacity: 0.80...1.0,
        colourAreas: 2...4, areaColours: [C.black, C.darkBrown, C.mediumBrown, C.blueGrey, C.red, C.lightBrown],
        centreDarkening: 0...0.15, texture: 0.03...0.10)

    static let nv = LesionProfile(
        radius: (5.8, 1.5), asymmetry: 0.0...0.15, border: 0.01...0.06, softness: 0.05...0.20, offCentre: 1.5,
        base: [C.mediumBrown, RGB(0.45, 0.28, 0.17), RGB(0.60, 0.40, 0.26)], opacity: 0.70...1.0,
        colourAreas: 0...1, areaColours: [C.darkBrown, C.mediumBrown], centreDarkening: 0...0.20,
        texture: 0.02...0.06)

    static let vasc = LesionProfile(
        radius: (5.0, 1.3), asymmetry: 0.0...0.12, border: 0.01...0.05, softness: 0.03...0.10, offCentre: 1.5,
        base: [RGB(0.66, 0.20, 0.30), C.purple], opacity: 0.75...1.0,
        colourAreas: 0...1, areaColours: [C.red, C.purple], centreDarkening: 0...0.05,
        texture: 0.02...0.05, lacunae: 2...5)
}
