import Federation

/// The attack an audit sweep's malicious hospitals run: label flipping (``LabelFlipping``, Biggio
/// et al. 2012) or the pixel-trigger backdoor with model replacement (``PixelBackdoor``, Gu et al.
/// 2017; Bagdasaryan et al. 2020), its update scaled by the number of hospitals. `honest` runs none.
///
/// Contract: the raw values are the names the sweep's `--attacks` takes (and `fedtop run
/// --simulate NAME:malicious=` accepts for the two attacks); the backdoor needs image records and
/// throws ``AuditSweepError/setting(_:)`` naming the hospital otherwise.
public enum AuditPoisoning: String, Sendable, CaseIterable {
    case honest, flip, backdoor

    /// The simulated hospital `name` running this attack in a federation of `hospitals` on records of `featureShape`.
    public func simulatedHospital(_ name: String, featureShape: [Int], hospitals: Int) throws -> SimulatedHospital {
        switch self {
        case .honest: return SimulatedHospital()
        case .flip: return SimulatedHospital(attack: LabelFlipping())
        case .backdoor:
            do {
                return SimulatedHospital(attack: try PixelBackdoor(featureShape: featureShape, boost: Float(max(1, hospitals))))
            } catch { throw AuditSweepError.setting("--simulate \(name): malicious=backdoor: \(error)") }
        }
    }
}

/// Why a sweep's federation could not be trained or attacked.
public enum AuditSweepError: Error, Equatable, CustomStringConvertible {
    /// The setting cannot be built (its data, strategy or attack): the user's to change.
    case setting(String)
    /// The federation was built but left nothing to attack (every round failed, no hold-out).
    case training(String)

    public var description: String {
        switch self {
        case .setting(let m), .training(let m): m
        }
    }
}
