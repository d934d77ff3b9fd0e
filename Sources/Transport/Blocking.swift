import Dispatch
import Foundation

/// Calls gRPC's async API from a thread that must wait for the answer (the engine's Dispatch workers,
/// a command's main thread; the serving bench and audit, from their synchronous commands).
///
/// Contract: ``run(_:)`` blocks the calling thread until `operation`, run as a task on Swift's
/// cooperative pool, finishes, and returns its result or rethrows its error. Never call it from the
/// cooperative pool itself: on two cores two such waits would hold every thread the task needs.
public enum Blocking {
    /// Runs `operation` on Swift's concurrency pool and waits for it on this (non-pool) thread.
    public static func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }
}

/// A result handed from a task to a waiting thread.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    func set(_ r: Result<T, any Error>) { lock.withLock { result = r } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}
