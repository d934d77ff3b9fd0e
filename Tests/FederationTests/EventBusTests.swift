import Foundation
import Testing
@testable import Federation

@Suite("Engine: the event bus")
struct EventBusTests {
    @Test("events stamped by publish(round:kind:since:) from many threads at once reach a subscriber in time order")
    func timeOrderAcrossThreads() {
        let bus = EventBus()
        let subscription = bus.subscribe(capacity: 100_000)
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<2_000 {
                bus.publish(round: i, kind: .warning("thread \(thread)"), since: start)
            }
        }
        bus.close()
        var times: [Double] = []
        while let event = subscription.next(timeout: 1) { times.append(event.time) }
        #expect(times.count == 16_000)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
