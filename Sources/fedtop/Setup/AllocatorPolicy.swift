#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How this process asks glibc's allocator to treat large buffers.
///
/// By default glibc raises its mmap threshold to the size of the largest buffer freed so far (up to
/// 32 MiB), so when buffers go to the heap depends on what happened to be freed first. fedtop fixes the
/// threshold at glibc's ceiling, 32 MiB: every buffer below it comes from the heap, whose freed chunks
/// the next allocation of that size reuses without a page fault or an `munmap`.
///
/// History (issue 19): this policy first fixed the threshold at 128 KiB, so that freed model-sized
/// buffers went back to the kernel — a thousand hospitals' updates, then all held until the round's
/// end, had left about four models' worth per hospital resident (2.8 GB). Once updates were folded as
/// they arrived (`UpdateFold`) and tensor buffers reused (`BufferPool`), the 128 KiB threshold only cost
/// time: every large Swift array — secure aggregation's masks, the fold's Double sums — was a fresh
/// mapping, faulted in page by page (`fedtop bench secagg`: 1.59× the plain round for 10 hospitals at
/// 128 KiB, 1.31× at 32 MiB; `fedtop bench scale`'s peaks were the same at both, 264 and 1,908 MiB).
///
/// Fixing the threshold also freezes glibc's trim threshold at its 128 KiB default: whenever more than
/// that is free at the top of a heap, `free` hands it back to the kernel, and the next round faults it
/// in again page by page. A small federation's round frees and re-allocates a few models' worth, so
/// half of its system time was page faults (`fedtop bench scale --scenario 10-10`: 1.2 s of system
/// time over 200 rounds, 0.6 s with the trim threshold at ``trimThreshold``; the peaks of the scale
/// bench did not move). So the heap keeps up to 64 MiB of free top for reuse.
///
/// Contract: called once at start-up; fixes the mmap threshold at ``mmapThreshold`` and the trim
/// threshold at ``trimThreshold`` (which turns the dynamic adjustment off). An operator's own
/// `MALLOC_MMAP_THRESHOLD_` or `MALLOC_TRIM_THRESHOLD_` is respected (that setting is not changed).
/// A no-op off glibc, or where `mallopt` cannot be found.
enum AllocatorPolicy {
    /// Buffers of this many bytes or more are mapped on their own: glibc's ceiling for the dynamic value.
    static let mmapThreshold: Int32 = 32 * 1024 * 1024
    /// `M_MMAP_THRESHOLD` of <malloc.h> (which Swift's Glibc module does not import).
    static let mmapThresholdParameter: Int32 = -3
    /// Free memory at the top of a heap beyond this many bytes is returned to the kernel.
    static let trimThreshold: Int32 = 64 * 1024 * 1024
    /// `M_TRIM_THRESHOLD` of <malloc.h>.
    static let trimThresholdParameter: Int32 = -1

    static func apply() {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let environment = ProcessInfo.processInfo.environment
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil { _ = mallopt(mmapThresholdParameter, mmapThreshold) }
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil { _ = mallopt(trimThresholdParameter, trimThreshold) }
        #endif
    }
}
