import Dispatch
import Foundation
import TensorCore

/// The cores the local hospitals share: a fixed pool of gradient computers, one per core, handed
/// out one at a time. Hospitals training in the same round run concurrently up to the number of
/// cores and wait for a slot beyond it, so the machine is never oversubscribed (OpenBLAS runs one
/// thread per call, see ``ComputePolicy``), and the scratch memory is the pool's, not each
/// hospital's: a thousand hospitals cost the same workspace memory as two.
public final class ComputeGate: @unchecked Sendable {
    public let slots: Int
    private let semaphore: DispatchSemaphore
    private let lock = NSLock()
    private var free: [GradientComputer]

    public init(slots: Int = ComputePolicy.cores) {
        self.slots = max(1, slots)
        semaphore = DispatchSemaphore(value: self.slots)
        free = (0..<self.slots).map { _ in GradientComputer(workers: 1) }
    }

    /// Runs `body` with a computer of its own, waiting for a free core first.
    public func withSlot<T, E: Error>(_ body: (GradientComputer) throws(E) -> T) throws(E) -> T {
        semaphore.wait()
        let computer = lock.withLock { free.removeLast() }
        defer {
            lock.withLock { free.append(computer) }
            semaphore.signal()
        }
        return try body(computer)
    }
}
