import Foundation
import Privacy
import SecureAggregation

/// A hospital's seat in secure rounds: the one session it is in, started by secure training and
/// answered one protocol round at a time. Shared by every hospital that trains in this process (local
/// ones, and the `fedtop hospital` service, which wraps a ``LocalHospital``).
///
/// Contract: one session at a time (a new round's training replaces an unfinished one); calls for
/// another round, out of order or repeated are refused and logged by the caller; thread-safe.
final class SecureAggregationSeat: @unchecked Sendable {
    private let hospital: String
    private let lock = NSLock()
    private var round: Int?
    private var client: SecAggClient?

    init(hospital: String) { self.hospital = hospital }

    /// Starts the session of `plan` with the encoded input; returns the keys to advertise.
    func start(plan: SecureRoundPlan, round: Int, input: [UInt32], generator: ChaCha20Generator) throws(HospitalError) -> AdvertisedKeys {
        lock.lock()
        defer { lock.unlock() }
        do {
            var c = try SecAggClient(parameters: plan.parameters, participant: plan.participant, input: input, generator: generator)
            let keys = try c.advertise()
            client = c
            self.round = round
            return keys
        } catch {
            throw .secureAggregation(hospital: hospital, reason: error.description)
        }
    }

    /// Runs one protocol step on the session of `round`.
    func step<T>(round: Int, _ body: (inout SecAggClient) throws(SecAggError) -> T) throws(HospitalError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard self.round == round, var c = client else {
            throw .secureAggregation(hospital: hospital, reason: "no secure-aggregation session for round \(round)")
        }
        do {
            let result = try body(&c)
            client = c
            return result
        } catch {
            client = c  // a refused request still counts (a second unmasking stays refused)
            throw .secureAggregation(hospital: hospital, reason: error.description)
        }
    }
}
