import Federation
import Foundation

/// Federated dropout against the full model (`fedtop bench dropout`): the same federation trained with
/// every round's sub-model keeping each share of the hidden units, side by side in one run.
///
/// Contract: each share trains a fresh federation from the same seed (data split, initialisation,
/// batches; the masks differ by share) in a scratch run folder removed afterwards, and reports the last
/// round's accuracy (the hospitals' test splits, test-size weighted), the model bytes per round
/// (``RoundCommunication``, sent and received, before transport framing) and the median round and
/// training times over rounds 2…. A run that does not finish throws ``BenchmarkError``.
public struct DropoutBenchmark: Sendable {
    /// One share's measurements.
    public struct Row: Sendable {
        public var keep: Double
        public var parameters: Int
        public var fullParameters: Int
        public var bytesPerRound: Double
        public var accuracy: Double
        public var epsilon: Double?
        public var timings: RoundTimings
    }

    public var keeps: [Double]
    /// The federation each share trains (its `federatedDropout` and `out` are set per share).
    public var base: BenchFederationSpec

    public init(keeps: [Double], base: BenchFederationSpec) {
        self.keeps = keeps
        self.base = base
    }

    public func run(factory: some BenchFederationFactory, progress: (String) -> Void) throws -> [Row] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-bench-dropout-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try keeps.enumerated().map { k, keep in
            var spec = base
            spec.federatedDropout = keep < 1 ? keep : nil
            spec.out = "\(scratch)/run-\(k)"
            progress("keep \(keep): training \(spec.rounds) rounds")
            let federation = try factory.federation(spec)
            defer { federation.release() }
            let (outcome, events) = federation.run()
            guard outcome == .finished else { throw BenchmarkError("bench dropout: keep \(keep) ended \(outcome.rawValue)") }
            let summaries = events.compactMap { e -> RoundSummary? in
                if case .roundCompleted(let s) = e.kind { return s } else { return nil }
            }
            guard let last = summaries.last, let c = last.communication else {
                throw BenchmarkError("bench dropout: keep \(keep) completed no round")
            }
            let exchanges = summaries.compactMap(\.communication)
            let bytes = exchanges.reduce(0.0) { $0 + Double($1.bytesDown + $1.bytesUp) } / Double(exchanges.count)
            return Row(keep: keep, parameters: c.parameters, fullParameters: c.fullParameters, bytesPerRound: bytes,
                       accuracy: (last.evaluation ?? last.centralEvaluation)?.accuracy ?? .nan,
                       epsilon: last.hospitalEpsilon.values.max(), timings: .measure(events))
        }
    }
}
