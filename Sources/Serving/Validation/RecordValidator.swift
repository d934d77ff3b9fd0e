/// Why a record is refused, with the stable code the API reports (`ErrorCode` in the contract).
public enum RecordRefusal: Error, Equatable, Sendable {
    /// The record's length is not the model's feature count.
    case badShape(record: Int, expected: Int, found: Int)
    /// A value is NaN, infinite, or beyond Float32's range.
    case nonFinite(record: Int, feature: Int)
    /// |value| is over the policy's bound.
    case outOfRange(record: Int, feature: Int)
    /// The sponge policy refused the record: a subnormal value, or the record's variance over the bound.
    case sponge(record: Int, reason: String)
    /// More records than the batch cap.
    case batchTooLarge(count: Int, limit: Int)
    /// No records.
    case empty

    /// The contract's error code.
    public var code: String {
        switch self {
        case .badShape: "bad_shape"
        case .nonFinite: "non_finite"
        case .outOfRange: "out_of_range"
        case .sponge: "sponge_input"
        case .batchTooLarge: "batch_too_large"
        case .empty: "bad_request"
        }
    }

    /// The first refused record's index, when one is at fault.
    public var record: Int? {
        switch self {
        case let .badShape(r, _, _), let .nonFinite(r, _), let .outOfRange(r, _), let .sponge(r, _): r
        case .batchTooLarge, .empty: nil
        }
    }

    /// For the server's own log (never sent: it names features, never values).
    public var detail: String {
        switch self {
        case let .badShape(r, expected, found): "record \(r): \(found) values, the model takes \(expected)"
        case let .nonFinite(r, f): "record \(r), feature \(f): not a finite Float32"
        case let .outOfRange(r, f): "record \(r), feature \(f): |value| over the bound"
        case let .sponge(r, reason): "record \(r): \(reason)"
        case let .batchTooLarge(count, limit): "\(count) records, the cap is \(limit)"
        case .empty: "no records"
        }
    }
}

/// Checks records against the served model's input schema before any arithmetic: the shape, finite
/// Float32 values, a bound on every |z| (inputs are z-scores, standardised as in training; the
/// run's feature clip when it had one), and a sponge policy (Shumailov et al. 2021, "Sponge
/// Examples"): no subnormal values — the inputs that slow a CPU's floating point by orders of
/// magnitude, the one way a dense network's cost depends on its input here — and a bound on the
/// variance of one record's values.
///
/// Contract: ``validate(_:)`` returns the records as Float32 only when every record passes; the
/// first refusal (in record order, then feature order) is thrown. It reads each value once and
/// allocates only the result.
public struct RecordValidator: Sendable {
    public let featureCount: Int
    public let maxBatch: Int
    /// Largest |value| accepted.
    public let maxAbsValue: Double
    /// Largest variance of one record's values.
    public let maxRecordVariance: Double

    public init(featureCount: Int, maxBatch: Int, maxAbsValue: Double, maxRecordVariance: Double) {
        precondition(featureCount > 0 && maxBatch > 0 && maxAbsValue > 0 && maxRecordVariance > 0, "RecordValidator: positive limits")
        self.featureCount = featureCount
        self.maxBatch = maxBatch
        self.maxAbsValue = maxAbsValue
        self.maxRecordVariance = maxRecordVariance
    }

    public func validate(_ records: [[Double]]) throws(RecordRefusal) -> [[Float]] {
        guard !records.isEmpty else { throw .empty }
        guard records.count <= maxBatch else { throw .batchTooLarge(count: records.count, limit: maxBatch) }
        var result: [[Float]] = []
        result.reserveCapacity(records.count)
        for (r, record) in records.enumerated() {
            guard record.count == featureCount else { throw .badShape(record: r, expected: featureCount, found: record.count) }
            var floats = [Float](repeating: 0, count: featureCount)
            var sum = 0.0, sumOfSquares = 0.0
            for (f, value) in record.enumerated() {
                guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else { throw .nonFinite(record: r, feature: f) }
                guard abs(value) <= maxAbsValue else { throw .outOfRange(record: r, feature: f) }
                let x = Float(value)
                guard !x.isSubnormal, !value.isSubnormal, !(x == 0 && value != 0) else {
                    throw .sponge(record: r, reason: "feature \(f) is subnormal")
                }
                floats[f] = x
                sum += value
                sumOfSquares += value * value
            }
            let n = Double(featureCount)
            let variance = max(0, sumOfSquares / n - (sum / n) * (sum / n))
            guard variance <= maxRecordVariance else { throw .sponge(record: r, reason: "variance over the bound") }
            result.append(floats)
        }
        return result
    }
}
