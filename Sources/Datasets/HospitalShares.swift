/// How every caller prepares hospitals' records: the data partitioned among the hospitals
/// (``Partitioner``), then each share standardised with that hospital's own statistics (nothing
/// leaves it), clamped to ±`featureClip` standard deviations when given.
///
/// Contract: deterministic in `seed` (the audit of a finished run rebuilds exactly who held which
/// record; `fedtop hospital --shard i/n` holds exactly share i of `fedtop run --hospitals n`); the
/// errors are ``Partitioner``'s.
public enum HospitalShares {
    /// Every hospital's standardised share, in hospital order.
    /// Each share is drawn and standardised in place before the next is drawn, so the records exist once:
    /// a federation's peak is its shares, without a second copy or the allocator's holes between them.
    public static func prepare(_ data: some RecordSource, hospitals: Int, scheme: PartitionScheme, testFraction: Double, seed: UInt64,
                               featureClip: Float? = nil) throws -> [HospitalData] {
        try Partitioner.shareIndices(data, hospitals: hospitals, scheme: scheme, testFraction: testFraction, seed: seed)
            .enumerated().map { hospital, share in
                drawStandardized(share, hospital: hospital, from: data, featureClip: featureClip)
            }
    }

    /// The standardised share of hospital `index` (0-based) of `hospitals`, as ``prepare(_:hospitals:scheme:testFraction:seed:featureClip:)``
    /// gives it; only that share's records are drawn.
    /// - Precondition: `index` is in `0..<hospitals`.
    public static func share(_ index: Int, of data: some RecordSource, hospitals: Int, scheme: PartitionScheme, testFraction: Double,
                             seed: UInt64, featureClip: Float? = nil) throws -> HospitalData {
        let shares = try Partitioner.shareIndices(data, hospitals: hospitals, scheme: scheme, testFraction: testFraction, seed: seed)
        return drawStandardized(shares[index], hospital: index, from: data, featureClip: featureClip)
    }

    /// One hospital's records drawn and standardised with its training statistics, in place.
    private static func drawStandardized(_ share: (train: [Int], test: [Int]), hospital: Int, from data: some RecordSource,
                                         featureClip: Float?) -> HospitalData {
        let (train, test) = Partitioner.draw(share, hospital: hospital, from: data)
        return standardized(train: consume train, test: consume test, featureClip: featureClip)
    }

    /// Training and test records standardised with the training records' statistics.
    public static func standardized(_ share: HospitalData, featureClip: Float? = nil) -> HospitalData {
        standardized(train: share.train, test: share.test, featureClip: featureClip)
    }

    /// The same, in place when the caller hands over the only references to the records.
    private static func standardized(train: consuming Dataset, test: consuming Dataset, featureClip: Float?) -> HospitalData {
        let standardizer = Standardizer.fit(train, clip: featureClip)
        return HospitalData(train: standardizer.apply(consume train), test: standardizer.apply(consume test))
    }
}
