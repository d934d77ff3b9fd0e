/// How every caller prepares hospitals' records: the data partitioned among the hospitals
/// (``Partitioner``), then each share standardised with that hospital's own statistics (nothing
/// leaves it), clamped to ±`featureClip` standard deviations when given.
///
/// Contract: deterministic in `seed` (the audit of a finished run rebuilds exactly who held which
/// record; `fedtop hospital --shard i/n` holds exactly share i of `fedtop run --hospitals n`); the
/// errors are ``Partitioner``'s.
public enum HospitalShares {
    /// Every hospital's standardised share, in hospital order.
    public static func prepare(_ data: Dataset, hospitals: Int, scheme: PartitionScheme, testFraction: Double, seed: UInt64,
                               featureClip: Float? = nil) throws -> [HospitalData] {
        try Partitioner.partition(data, hospitals: hospitals, scheme: scheme, testFraction: testFraction, seed: seed) {
            standardized($0, featureClip: featureClip)
        }
    }

    /// The standardised share of hospital `index` (0-based) of `hospitals`, as ``prepare(_:hospitals:scheme:testFraction:seed:featureClip:)`` gives it.
    public static func share(_ index: Int, of data: Dataset, hospitals: Int, scheme: PartitionScheme, testFraction: Double,
                             seed: UInt64, featureClip: Float? = nil) throws -> HospitalData {
        let shares = try Partitioner.partition(data, hospitals: hospitals, scheme: scheme, testFraction: testFraction, seed: seed)
        return standardized(shares[index], featureClip: featureClip)
    }

    /// Training and test records standardised with the training records' statistics.
    public static func standardized(_ share: HospitalData, featureClip: Float? = nil) -> HospitalData {
        let standardizer = Standardizer.fit(share.train, clip: featureClip)
        return HospitalData(train: standardizer.apply(share.train), test: standardizer.apply(share.test))
    }
}
