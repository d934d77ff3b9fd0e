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
/// Contract: called once at start-up; fixes the threshold at ``mmapThreshold`` (which also turns the
/// dynamic adjustment off). An operator's own `MALLOC_MMAP_THRESHOLD_` is respected (nothing is
/// changed). A no-op off glibc, or where `mallopt` cannot be found.
enum AllocatorPolicy {
    /// Buffers of this many bytes or more are mapped on their own: glibc's ceiling for the dynamic value.
    static let mmapThreshold: Int32 = 32 * 1024 * 1024
    /// `M_MMAP_THRESHOLD` of <malloc.h> (which Swift's Glibc module does not import).
    static let mmapThresholdParameter: Int32 = -3

    static func apply() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil,
              let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThresholdParameter, mmapThreshold)
        #endif
    }
}
