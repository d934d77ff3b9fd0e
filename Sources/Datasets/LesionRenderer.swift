import Foundation

/// Paints one synthetic dermoscopy-like image: skin, a lesion shaped and coloured by its class's
/// ``LesionProfile``, lighting, hair and sensor noise.
///
/// Contract: writes `3 × size × size` values in [0, 1], channels-first (R plane, G plane, B plane),
/// consumes draws only from the generator it is given (so an image is a function of that generator's
/// state), and returns the ``LesionTraits`` of what it drew.
enum LesionRenderer {
    static let size = 28

    /// The chance that a lesion takes its size and outline from a random class instead of its own,
    /// and, independently, its number of colour areas (atypical presentations: the overlap that keeps
    /// the task from being trivial).
    static let atypicalShapeRate: Float = 0.05
    static let atypicalColourRate: Float = 0.03

    /// Skin tones from very fair to dark, interpolated (fair tones drawn more often, as in HAM10000).
    static let skinTones = [RGB(0.95, 0.82, 0.74), RGB(0.86, 0.68, 0.56), RGB(0.74, 0.56, 0.42), RGB(0.50, 0.35, 0.26)]

    private struct Spot { var x: Float, y: Float, sigma: Float, colour: RGB, strength: Float }
    private struct Segment { var x0: Float, y0: Float, x1: Float, y1: Float, width: Float }

    static func draw(diagnosis: Int, rng: inout SeededGenerator, into out: UnsafeMutableBufferPointer<Float>) -> LesionTraits {
        let n = size, plane = n * n, half = Float(n) / 2
        let profile = LesionProfile.all[diagnosis]
        let shape = rng.unit() < atypicalShapeRate ? LesionProfile.all[rng.index(below: 7)] : profile
        let colourAreas = rng.unit() < atypicalColourRate ? LesionProfile.all[rng.index(below: 7)].colourAreas
                                                          : profile.colourAreas

        // Skin and light.
        let skinT = powf(rng.unit(), 1.6) * Float(skinTones.count - 1)
        let skinI = min(Int(skinT), skinTones.count - 2)
        let skin = jitter(skinTones[skinI].mixed(with: skinTones[skinI + 1], skinT - Float(skinI)), 0.04, &rng)
        let lightAngle = rng.uniform(0...(2 * .pi)), lightStrength = rng.uniform(0...0.18)
        let vignette = rng.unit() < 0.3 ? rng.uniform(0.1...0.35) : 0
        let noiseSD = rng.uniform(0.01...0.035)
        let texture = ValueNoise(rng: &rng), skinTexture = ValueNoise(rng: &rng)

        // Geometry (Asymmetry, Border, Diameter).
        let radius = min(max(rng.normal(shape.radius.mean, shape.radius.sd), 2.5), 13)
        let offset = rng.uniform(0...profile.offCentre), offsetAngle = rng.uniform(0...(2 * .pi))
        let cx = half + offset * cosf(offsetAngle), cy = half + offset * sinf(offsetAngle)
        let asymmetry = rng.uniform(shape.asymmetry), border = rng.uniform(shape.border)
        var harmonics: [(k: Float, amplitude: Float, phase: Float)] = []
        for k in 1...3 {
            harmonics.append((Float(k), asymmetry * rng.uniform(k == 3 ? 0...0.7 : 0.3...1), rng.uniform(0...(2 * .pi))))
        }
        var borderPower: Float = 0
        for k in 4...11 {
            let amplitude = border * rng.normal(0, 1) * 4 / Float(k)  // smoother outlines than white noise
            borderPower += amplitude * amplitude / 2
            harmonics.append((Float(k), amplitude, rng.uniform(0...(2 * .pi))))
        }
        let bins = 64
        var rTable = [Float](repeating: 0, count: bins + 1)
        for i in 0..<bins {
            let theta = 2 * Float.pi * Float(i) / Float(bins) - .pi
            var r: Float = 1
            for h in harmonics { r += h.amplitude * cosf(h.k * theta + h.phase) }
            rTable[i] = radius * max(r, 0.35)
        }
        rTable[bins] = rTable[0]
        let softness = rng.uniform(profile.softness), opacity = rng.uniform(profile.opacity)

        // Colour (the C of ABCD) and class-specific structures.
        let base = jitter(rng.pick(profile.base), 0.08, &rng)
        let darkening = rng.uniform(profile.centreDarkening)
        let textureAmplitude = rng.uniform(profile.texture)
        var spots: [Spot] = []
        var colourNames = Set<Int>()
        for _ in 0..<rng.integer(in: colourAreas) {
            let which = rng.index(below: profile.areaColours.count)
            colourNames.insert(which)
            let rho = radius * 0.6 * rng.unit().squareRoot(), angle = rng.uniform(0...(2 * .pi))
            spots.append(Spot(x: cx + rho * cosf(angle), y: cy + rho * sinf(angle),
                              sigma: radius * rng.uniform(0.2...0.45),
                              colour: jitter(profile.areaColours[which], 0.08, &rng), strength: rng.uniform(0.6...0.95)))
        }
        let lacunae = rng.integer(in: profile.lacunae)
        for _ in 0..<lacunae {
            let rho = radius * 0.7 * rng.unit().squareRoot(), angle = rng.uniform(0...(2 * .pi))
            spots.append(Spot(x: cx + rho * cosf(angle), y: cy + rho * sinf(angle), sigma: radius * rng.uniform(0.12...0.2),
                              colour: jitter(DermoscopyColour.darkRed, 0.08, &rng), strength: 0.8))
        }
        for _ in 0..<rng.integer(in: profile.milia) {
            let rho = radius * 0.7 * rng.unit().squareRoot(), angle = rng.uniform(0...(2 * .pi))
            spots.append(Spot(x: cx + rho * cosf(angle), y: cy + rho * sinf(angle), sigma: rng.uniform(0.5...0.7),
                              colour: DermoscopyColour.white, strength: 0.7))
        }
        let pale = rng.uniform(profile.paleCentre)
        let sheen = rng.uniform(profile.sheen)
        let sheenX = cx - 0.3 * radius, sheenY = cy - 0.3 * radius
        let scale = rng.uniform(profile.scale)
        var vessels: [Segment] = []
        for _ in 0..<rng.integer(in: profile.vessels) {
            let rho = radius * 0.3 * rng.unit(), angle = rng.uniform(0...(2 * .pi)), heading = rng.uniform(0...(2 * .pi))
            let x0 = cx + rho * cosf(angle), y0 = cy + rho * sinf(angle), length = radius * rng.uniform(0.5...1.0)
            vessels.append(Segment(x0: x0, y0: y0, x1: x0 + length * cosf(heading), y1: y0 + length * sinf(heading),
                                   width: 0.45))
        }
        var hairs: [Segment] = []
        if rng.unit() < 0.25 {
            for _ in 0..<rng.integer(in: 1...3) {
                let x = rng.uniform(0...Float(n)), y = rng.uniform(0...Float(n)), heading = rng.uniform(0...(.pi))
                let reach = rng.uniform(6...18)
                hairs.append(Segment(x0: x - reach * cosf(heading), y0: y - reach * sinf(heading),
                                     x1: x + reach * cosf(heading), y1: y + reach * sinf(heading),
                                     width: rng.uniform(0.3...0.6)))
            }
        }
        let lesionShade = 0.7 + 0.3 * min(skin.lightness / 0.8, 1)
        let colourCount = 1 + colourNames.count + (lacunae > 0 ? 1 : 0) + (pale > 0.6 ? 1 : 0)

        // Paint.
        var mask = [Float](repeating: 0, count: plane)
        for y in 0..<n {
            let py = Float(y) + 0.5
            for x in 0..<n {
                let px = Float(x) + 0.5
                let ux = (px - half) / half, uy = (py - half) / half
                let light = 1 + lightStrength * (ux * cosf(lightAngle) + uy * sinf(lightAngle))
                    - vignette * (ux * ux + uy * uy) / 2
                var colour = skin * (1 + 0.06 * (skinTexture.value(px, py, cells: 9) - 0.5))
                let dx = px - cx, dy = py - cy, d = (dx * dx + dy * dy).squareRoot()
                let f = (atan2f(dy, dx) + .pi) / (2 * .pi) * Float(bins)
                let i = min(max(Int(f), 0), bins - 1)
                let r = rTable[i] + (rTable[i + 1] - rTable[i]) * (f - Float(i))
                let t = d / r
                let m = 1 - smoothstep(1 - softness, 1 + softness, t)
                mask[y * n + x] = m
                if m > 0.002 {
                    var lesion = base * (1 - darkening * (1 - min(t, 1)))
                    lesion = lesion * (1 + 2 * textureAmplitude * (texture.value(px, py, cells: 6) - 0.5))
                    for s in spots {
                        let ex = px - s.x, ey = py - s.y
                        lesion = lesion.mixed(with: s.colour, s.strength * expf(-(ex * ex + ey * ey) / (2 * s.sigma * s.sigma)))
                    }
                    if pale > 0 {
                        let q = d / (0.45 * radius)
                        lesion = lesion.mixed(with: DermoscopyColour.white, pale * expf(-q * q))
                    }
                    if sheen > 0 {
                        let ex = px - sheenX, ey = py - sheenY, s = 0.35 * radius
                        lesion = lesion.mixed(with: DermoscopyColour.white, sheen * expf(-(ex * ex + ey * ey) / (2 * s * s)))
                    }
                    for v in vessels {
                        let e = distance(px, py, v)
                        lesion = lesion.mixed(with: DermoscopyColour.red, 0.75 * expf(-e * e / (2 * v.width * v.width)))
                    }
                    if scale > 0, rng.unit() < scale { lesion = lesion.mixed(with: DermoscopyColour.white, 0.55) }
                    colour = colour.mixed(with: lesion * lesionShade, m * opacity)
                }
                colour = colour * light
                for h in hairs {
                    let e = distance(px, py, h)
                    colour = colour.mixed(with: DermoscopyColour.hair, 0.85 * expf(-e * e / (2 * h.width * h.width)))
                }
                out[y * n + x] = colour.r
                out[plane + y * n + x] = colour.g
                out[2 * plane + y * n + x] = colour.b
            }
        }
        var noise = [Float](repeating: 0, count: 3 * plane)
        noise.withUnsafeMutableBufferPointer { rng.fillNormal($0, std: noiseSD) }
        for i in 0..<(3 * plane) { out[i] = min(max(out[i] + noise[i], 0), 1) }

        return LesionTraits(diagnosis: diagnosis, diameter: 2 * (rTable.max() ?? radius),
                            area: mask.reduce(0, +), asymmetry: maskAsymmetry(mask, n: n),
                            borderIrregularity: borderPower.squareRoot(), colourCount: colourCount)
    }

    /// The fraction of the mask that does not overlap its own 180° rotation about its centroid.
    static func maskAsymmetry(_ mask: [Float], n: Int) -> Float {
        var total: Float = 0, mx: Float = 0, my: Float = 0
        for y in 0..<n {
            for x in 0..<n {
                let m = mask[y * n + x]
                total += m
                mx += m * (Float(x) + 0.5)
                my += m * (Float(y) + 0.5)
            }
        }
        guard total > 0 else { return 0 }
        mx /= total
        my /= total
        var difference: Float = 0
        for y in 0..<n {
            for x in 0..<n {
                let qx = Int((2 * mx - (Float(x) + 0.5)).rounded(.down))
                let qy = Int((2 * my - (Float(y) + 0.5)).rounded(.down))
                let mirrored: Float = (0..<n).contains(qx) && (0..<n).contains(qy) ? mask[qy * n + qx] : 0
                difference += abs(mask[y * n + x] - mirrored)
            }
        }
        return difference / (2 * total)
    }

    @inline(__always) private static func smoothstep(_ a: Float, _ b: Float, _ x: Float) -> Float {
        let t = min(max((x - a) / (b - a), 0), 1)
        return t * t * (3 - 2 * t)
    }

    @inline(__always) private static func distance(_ px: Float, _ py: Float, _ s: Segment) -> Float {
        let vx = s.x1 - s.x0, vy = s.y1 - s.y0, wx = px - s.x0, wy = py - s.y0
        let t = min(max((wx * vx + wy * vy) / max(vx * vx + vy * vy, 1e-6), 0), 1)
        let ex = wx - t * vx, ey = wy - t * vy
        return (ex * ex + ey * ey).squareRoot()
    }

    private static func jitter(_ c: RGB, _ amount: Float, _ rng: inout SeededGenerator) -> RGB {
        func channel(_ v: Float) -> Float { min(max(v * (1 + amount * rng.normal(0, 1)), 0), 1) }
        return RGB(channel(c.r), channel(c.g), channel(c.b))
    }
}

/// Smooth random texture: a lattice of uniform values, bilinearly interpolated.
struct ValueNoise {
    private var lattice = [Float](repeating: 0, count: 100)

    init(rng: inout SeededGenerator) {
        for i in lattice.indices { lattice[i] = rng.unit() }
    }

    /// The noise in [0, 1] at pixel coordinates (`x`, `y`) of a 28-pixel image split into `cells` cells (≤ 9).
    @inline(__always) func value(_ x: Float, _ y: Float, cells: Int) -> Float {
        let gx = x / Float(LesionRenderer.size) * Float(cells), gy = y / Float(LesionRenderer.size) * Float(cells)
        let ix = min(Int(gx), cells - 1), iy = min(Int(gy), cells - 1)
        let fx = gx - Float(ix), fy = gy - Float(iy)
        let a = lattice[iy * 10 + ix], b = lattice[iy * 10 + ix + 1]
        let c = lattice[(iy + 1) * 10 + ix], d = lattice[(iy + 1) * 10 + ix + 1]
        return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy
    }
}

extension SeededGenerator {
    @inline(__always) mutating func unit() -> Float { nextUnitFloat() }
    @inline(__always) mutating func uniform(_ range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnitFloat()
    }
    @inline(__always) mutating func normal(_ mean: Float, _ sd: Float) -> Float { mean + sd * Float(nextNormal()) }
    mutating func index(below n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func integer(in range: ClosedRange<Int>) -> Int { range.lowerBound + index(below: range.count) }
    mutating func pick<T>(_ items: [T]) -> T { items[index(below: items.count)] }
}
