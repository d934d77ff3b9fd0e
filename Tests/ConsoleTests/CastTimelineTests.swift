import Console
import Foundation
import Testing

@Suite("Playing a .cast: the timeline's position, speed, pause, markers, and the player's terminal output")
struct CastTimelineTests {
    /// Frames `f0`…`f5` one second apart, a marker after f1 and after f3, a long idle gap before f5.
    static let cast = CastPlayer.Cast(width: 80, height: 24, events: [
        (0.0, "o", "f0"), (1.0, "o", "f1"), (1.0, "m", "one"), (2.0, "o", "f2"), (3.0, "o", "f3"),
        (3.0, "m", "two"), (4.0, "o", "f4"), (60.0, "o", "f5"),
    ])

    @Test("advancing plays the frames that are due at the speed; long idle gaps are shortened")
    func advance() {
        var t = CastTimeline(cast: Self.cast, speed: 2, maxIdle: 2)
        #expect(t.advance(by: 0.01) == "f0")
        #expect(t.secondsToNext.map { abs($0 - 0.49) < 1e-9 } == true, "1 s of recording at 2× is 0.5 s of wall time")
        #expect(t.advance(by: 0.5) == "f1")
        #expect(t.advance(by: 1.0) == "f2f3")
        #expect(t.advance(by: 0.5) == "f4")
        #expect(t.times.last == 6, "the 56 s gap before f5 plays as maxIdle = 2 s")
        #expect(t.advance(by: 1.0) == "f5")
        #expect(t.isFinished && t.secondsToNext == nil && t.status.contains("end"))
    }

    @Test("paused, nothing plays and there is nothing to wait for; s plays exactly one frame")
    func pauseAndStep() {
        var t = CastTimeline(cast: Self.cast)
        #expect(t.advance(by: 0.01) == "f0")
        t.togglePause()
        #expect(t.paused && t.secondsToNext == nil)
        #expect(t.advance(by: 100) == "")
        #expect(t.step() == "f1")
        #expect(t.step() == "f2", "the marker between f1 and f2 is passed, not a frame of its own")
        #expect(t.paused && t.status.contains("paused"))
        t.togglePause()
        #expect(t.secondsToNext.map { abs($0 - 1) < 1e-9 } == true, "resumed at f2's time: f3 is 1 s away")
        #expect(t.advance(by: 1) == "f3")
    }

    @Test("n plays up to the next marker; p goes back to the last one passed (the one before within a second of it), redrawing from a cleared screen")
    func markers() {
        var t = CastTimeline(cast: Self.cast)
        #expect(t.markers == [2, 5])
        #expect(t.nextMarker() == "f0f1" && t.markersPassed == 1)
        #expect(t.nextMarker() == "f2f3" && t.markersPassed == 2)
        #expect(t.status.contains("marker 2/2"))
        // At marker two (within a second of it): p goes to marker one, drawing f0 f1 again after a clear.
        #expect(t.previousMarker() == CastTimeline.clear + "f0f1")
        #expect(t.markersPassed == 1 && t.clock == 1)
        // Played on more than a second past marker one: p goes back to marker one itself.
        #expect(t.advance(by: 1.5) == "f2")
        #expect(t.previousMarker() == CastTimeline.clear + "f0f1")
        // Before any marker: p goes to the start.
        #expect(t.previousMarker() == CastTimeline.clear)
        #expect(t.index == 0 && t.clock == 0)
        _ = t.nextMarker()
        _ = t.nextMarker()
        #expect(t.nextMarker() == "f4f5" && t.isFinished, "no marker left: n plays to the end")
    }

    @Test("+ and - double and halve the speed within 1/16× and 256× (a faster start widens the range)")
    func speedBounds() {
        var t = CastTimeline(cast: Self.cast, speed: 1)
        for _ in 0..<20 { t.faster() }
        #expect(t.speed == 256)
        for _ in 0..<40 { t.slower() }
        #expect(t.speed == 1.0 / 16)
        var fast = CastTimeline(cast: Self.cast, speed: 1000)
        fast.faster()
        #expect(fast.speed == 1000)
        fast.slower()
        #expect(fast.speed == 500)
    }

    /// Plays `cast` with scripted keys (nil: the wait timed out) on a clock that moves only when a wait
    /// times out (by the time asked for); returns what was written and the timeline at the end.
    static func play(_ cast: CastPlayer.Cast, keys: [Key?], speed: Double = 1) -> (output: [String], timeline: CastTimeline, waits: [Double?]) {
        var keys = keys[...]
        var now = 0.0
        var output: [String] = []
        var waits: [Double?] = []
        let timeline = CastPlayer(cast: cast, speed: speed).play(rows: 24, key: { timeout in
            waits.append(timeout)
            guard let next = keys.popFirst() else { return .character("q") }
            if next == nil { now += timeout ?? 0 }
            return next
        }, write: { output.append($0) }, clock: { now })
        return (output, timeline, waits)
    }

    @Test("the player enters the alternate screen first and leaves it (attributes reset, cursor shown) last")
    func startAndEnd() {
        let (output, timeline, _) = Self.play(Self.cast, keys: [nil, nil, .character("q")])
        #expect(output.first?.hasPrefix(CastPlayer.enterScreen) == true)
        #expect(CastPlayer.enterScreen.contains("\u{1b}[?1049h"))
        #expect(output.last == CastPlayer.leaveScreen)
        for code in ["\u{1b}[?1049l", "\u{1b}[0m", "\u{1b}[?25h"] { #expect(CastPlayer.leaveScreen.contains(code)) }
        #expect(output.contains("f1") && !output.contains("f2"), "q quits at once: nothing after f1 is written")
        #expect(timeline.index == 3, "f0, f1 and the marker after it")
    }

    @Test("space pauses (the player then waits for a key with no timeout), Esc and Ctrl-C quit")
    func keys() {
        let paused = Self.play(Self.cast, keys: [nil, .character(" "), .character("s"), .escape])
        #expect(paused.waits[2] == nil, "paused: the wait has no timeout, so the player sleeps")
        #expect(paused.output.contains("f1") && paused.timeline.paused)
        #expect(paused.output.contains { $0.contains("\u{1b}]2;fedtop replay 1x paused") }, "the state goes to the window title")
        let interrupted = Self.play(Self.cast, keys: [.interrupt])
        #expect(interrupted.output.last == CastPlayer.leaveScreen && interrupted.timeline.index == 1, "only the frame at 0 s")
    }

    @Test("at the end the player says so on the bottom row and waits for q; p from there goes back")
    func end() {
        let ended = Self.play(Self.cast, keys: [.character("n"), .character("n"), .character("n"), nil, .character("p"), .character("q")])
        let notice = ended.output.firstIndex { $0.contains("end of recording") }
        #expect(notice != nil && ended.output[notice!].contains("\u{1b}[24;1H"))
        #expect(ended.waits[3] == nil, "at the end the player waits for a key, with no timeout")
        #expect(ended.timeline.index == 6 && !ended.timeline.isFinished, "p went back to marker two")
        #expect(ended.output.last == CastPlayer.leaveScreen)
    }
}
