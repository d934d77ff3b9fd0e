#if canImport(Glibc)
import Glibc
#endif

/// This process's limit on open files. Every local hospital keeps its ledger open, so a federation
/// of a thousand needs more descriptors than the usual soft limit of 1,024.
enum OpenFileLimit {
    /// Raises the soft limit to the hard one (no privilege needed); called once at start-up.
    static func raiseToHardLimit() {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
        #endif
    }

    /// The soft limit now, or nil when unlimited or unknown.
    static var current: Int? {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(limit.rlim_cur)
        #else
        return nil
        #endif
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #endif
}
