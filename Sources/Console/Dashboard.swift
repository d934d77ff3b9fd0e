/// Draws a whole frame of the console into a ``Screen``: the panels in their ``Layout``, then the
/// overlay the operator has open (help, quit confirmation). The same code draws for the terminal,
/// the recorder and the snapshot tests.
public enum Dashboard {
    public static func render(_ view: ConsoleView, on screen: inout Screen, context: RenderContext) {
        screen.clip = nil
        screen.ellipsis = context.glyphs.ellipsis
        screen.clear()
        let layout = Self.layout(view, width: screen.width, height: screen.height, context: context)
        guard layout.kind != .tooSmall else {
            Overlays.tooSmall(on: &screen, context: context)
            return
        }
        if view.controller.presenter {
            PresenterPanel.draw(view, on: &screen, context: context)
            finish(view, on: &screen, context: context)
            return
        }
        func panel(_ rect: Rect, _ draw: (inout Screen) -> Void) {
            screen.clip = rect
            draw(&screen)
        }
        panel(layout.header) { HeaderPanel.draw(view, in: layout.header, on: &$0, context: context) }
        panel(layout.training) { TrainingPanel.draw(view, in: layout.training, on: &$0, context: context) }
        panel(layout.privacy) { PrivacyPanel.draw(view, in: layout.privacy, on: &$0, context: context) }
        panel(layout.aggregator) { AggregatorPanel.draw(view, in: layout.aggregator, on: &$0, context: context) }
        // The hospitals' selection mark sits in the panel's left margin, inside its rectangle.
        panel(layout.hospitals) { HospitalsPanel.draw(view, in: layout.hospitals, on: &$0, context: context) }
        panel(layout.log) { LogPanel.draw(view, in: layout.log, on: &$0, context: context) }
        panel(layout.footer) { FooterPanel.draw(view, in: layout.footer, on: &$0, context: context) }
        finish(view, on: &screen, context: context)
    }

    /// The overlay the operator has open (quit confirmation, help), over either view; ASCII last.
    static func finish(_ view: ConsoleView, on screen: inout Screen, context: RenderContext) {
        screen.clip = nil
        if view.controller.confirmingQuit {
            Overlays.confirmQuit(on: &screen, context: context)
        } else if view.controller.showHelp {
            Overlays.help(on: &screen, context: context, replay: view.controller.mode == .replay)
        }
        if context.glyphs.isASCII { screen.replaceNonASCII() }
    }

    /// The panels' rectangles for this view: the hospitals table gets its natural width on wide
    /// screens, the log the rest.
    public static func layout(_ view: ConsoleView, width: Int, height: Int, context: RenderContext) -> Layout {
        Layout(width: width, height: height,
               hospitalsWidth: HospitalsPanel.naturalWidth(view, screenWidth: width, context: context))
    }
}
