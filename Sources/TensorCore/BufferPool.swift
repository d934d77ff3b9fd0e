import Foundation

/// Large tensor buffers kept for reuse instead of being handed back to the allocator at once.
///
/// A buffer of 128 KiB or more may be its own memory mapping (glibc maps buffers above its mmap
/// threshold, which starts at 128 KiB; an operator's `MALLOC_MMAP_THRESHOLD_` may keep it there): each
/// new one then costs a page fault per 4 KiB on first write, and each free an `munmap` that holds the
/// process's memory map exclusively — a thousand hospitals training one step each fault in and unmap
/// about four 600 KB buffers apiece every round, and the two cores' faults queue behind each other's
/// unmaps. Freed buffers of that size are kept here (up to ``capacityBytes`` in all, ``buffersPerSize``
/// of any one size) and the next tensor of exactly that size reuses one: its pages are already resident.
///
/// Contract: thread-safe; `take` returns a 64-byte-aligned buffer of `byteCount` bytes whose contents
/// are unspecified (``TensorStorage`` zero-fills it when asked, as it does a heap buffer); at most
/// ``capacityBytes`` are held between uses, so the pool bounds what it keeps from the system.
enum BufferPool {
    /// Buffers at least this large are pooled: glibc's mmap threshold as fedtop sets it.
    static let minimumBytes = 128 * 1024
    /// Most bytes kept between uses.
    static let capacityBytes = 64 << 20
    /// Most buffers kept of any one size.
    static let buffersPerSize = 32

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var pooledBytes = 0
    }
    private static let state = State()

    /// A buffer of `byteCount` bytes: a kept one of exactly that size if there is one, else a new one.
    static func take(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumBytes {
            let s = state
            s.lock.lock()
            if let reused = s.free[byteCount]?.popLast() {
                s.pooledBytes -= byteCount
                s.lock.unlock()
                return reused
            }
            s.lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
    }

    /// Gives back a buffer from ``take(byteCount:alignment:)``: kept when there is room, else freed.
    static func give(_ buffer: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= minimumBytes {
            let s = state
            s.lock.lock()
            if s.pooledBytes + byteCount <= capacityBytes, s.free[byteCount, default: []].count < buffersPerSize {
                s.free[byteCount, default: []].append(buffer)
                s.pooledBytes += byteCount
                s.lock.unlock()
                return
            }
            s.lock.unlock()
        }
        buffer.deallocate()
    }

    /// Bytes kept between uses now (for tests).
    static var keptBytes: Int { state.lock.withLock { state.pooledBytes } }

    /// Buffers of `byteCount` bytes kept now (for tests).
    static func kept(byteCount: Int) -> Int { state.lock.withLock { state.free[byteCount]?.count ?? 0 } }
}
