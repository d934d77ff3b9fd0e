/// A horizontal bar for a fraction 0…1 (ε spent of its budget, progress within a round), in eighths
/// of a cell with Unicode, `#` in ASCII. Its role turns from ok to warning at 75% and critical at 90%
/// unless given; in monochrome the critical part is drawn bold.
public enum Gauge {
    public static func draw(_ fraction: Double, x: Int, y: Int, width: Int, on screen: inout Screen, context: RenderContext,
                            role: Style.Role? = nil) {
        guard width > 0 else { return }
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 1
        let r = role ?? (f >= 0.9 ? .critical : f >= 0.75 ? .warning : .ok)
        let fill = Style(r, bold: context.monochrome && r == .critical)
        let steps = context.glyphs.gaugeSteps
        let eighths = Int((f * Double(width * steps.count)).rounded(.down))
        let full = eighths / steps.count, part = eighths % steps.count
        for i in 0..<width {
            if i < full {
                screen.set(steps[steps.count - 1], x: x + i, y: y, style: fill)
            } else if i == full && part > 0 {
                screen.set(steps[part - 1], x: x + i, y: y, style: fill)
            } else {
                screen.set(context.glyphs.gaugeEmpty, x: x + i, y: y, style: .dim)
            }
        }
    }
}
