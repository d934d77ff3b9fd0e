#if canImport(Glibc)
import Glibc
#endif

/// How this process asks glibc's allocator to treat model-sized buffers.
///
/// By default glibc raises its mmap threshold to the size of the largest buffer freed so far (up to
/// 32 MiB): after the first 600 KB model update is freed, every later update, gradient and scratch
/// vector comes from a thread's heap arena instead of its own mapping — and a freed arena chunk is
/// rarely handed back to the kernel. A round of a thousand hospitals, trained on two workers, left
/// about four models' worth per hospital resident that way: `fedtop run --headless --dataset
/// lesions:20000 --model mlp --hospitals 1000 --rounds 3` peaked at 2.8 GB, of which 2 GB were
/// freed buffers the allocator kept.
///
/// Contract: called once at start-up; fixes the threshold at ``mmapThreshold`` (which also turns the
/// dynamic adjustment off), so every buffer at least that large is its own mapping and goes back to
/// the kernel when freed. Smaller allocations are unchanged. A no-op off glibc.
enum AllocatorPolicy {
    /// Buffers of this many bytes or more are mapped on their own: glibc's own starting value, kept.
    static let mmapThreshold: Int32 = 128 * 1024

    static func apply() {
        #if canImport(Glibc)
        _ = glibcMallopt(mmapThresholdParameter, mmapThreshold)
        #endif
    }

    #if canImport(Glibc)
    /// `M_MMAP_THRESHOLD` of <malloc.h> (which Swift's Glibc module does not import).
    static let mmapThresholdParameter: Int32 = -3
    #endif
}

#if canImport(Glibc)
/// glibc's `int mallopt(int param, int value)`.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
