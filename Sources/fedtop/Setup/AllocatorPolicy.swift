#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How this process asks glibc's allocator to treat model-sized buffers.
///
/// By default glibc raises its mmap threshold to the size of the largest buffer freed so far (up to
/// 32 MiB): after the first 600 KB model update is freed, every later update, gradient and scratch
/// vector comes from a thread's heap arena instead of its own mapping — and a freed arena chunk is
/// rarely handed back to the kernel. Before the engine folded updates as they arrived, a round of a
/// thousand hospitals left about four models' worth per hospital resident that way (`fedtop run
/// --headless --dataset lesions:20000 --model mlp --hospitals 1000 --rounds 3` peaked at 2.8 GB).
///
/// Contract: called once at start-up; fixes the threshold at ``mmapThreshold`` (which also turns the
/// dynamic adjustment off), so every buffer at least that large is its own mapping and goes back to
/// the kernel when freed; smaller allocations are unchanged. The price is a page fault per 4 KiB the
/// first time a fresh buffer is written. An operator's own `MALLOC_MMAP_THRESHOLD_` is respected
/// (nothing is changed). A no-op off glibc, or where `mallopt` cannot be found.
enum AllocatorPolicy {
    /// Buffers of this many bytes or more are mapped on their own: glibc's own starting value, kept.
    static let mmapThreshold: Int32 = 128 * 1024
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
