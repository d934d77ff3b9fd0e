import TensorCore

/// How much one hospital's update moved the round's aggregate: the leave-one-out change
/// ‖A(U) − A(U ∖ {i})‖ of the strategy A (Koh & Liang 2017's influence, in its exact leave-one-out
/// form), reported relative to the honest hospitals' mean so that 1 means "as much as an honest
/// hospital" — more under FedAvg for a hospital that flips its labels, about 1 or less under the
/// median or trimmed mean, 0 when Krum discards it.
///
/// Contract: computed by the engine only in rounds where a hospital it knows is malicious (a
/// simulated one, `x` in the console) sent an update, on the updates as the strategy saw them; the
/// strategy's randomness (client-level DP noise) is left out: its clip is applied, its noise is not.
public struct HospitalInfluence: Sendable, Codable, Equatable {
    public var hospital: String
    public var malicious: Bool
    /// ‖A(U) − A(U ∖ {i})‖.
    public var change: Double
    /// `change` divided by the honest hospitals' mean change (nil when there is no honest one).
    public var relative: Double?

    public init(hospital: String, malicious: Bool, change: Double, relative: Double?) {
        self.hospital = hospital
        self.malicious = malicious
        self.change = change
        self.relative = relative
    }

    /// Leave-one-out influence of every update under `strategy`; `malicious` names the flagged ones.
    public static func measure(_ updates: [ClientUpdate], strategy: any Strategy, malicious: Set<String>) -> [HospitalInfluence] {
        guard updates.count >= 2 else { return [] }
        var base: any Strategy = strategy
        var inputs = updates
        if let dp = strategy.clientPrivacy {
            base = dp.base
            let clip = dp.mechanism.clipNorm
            inputs = updates.map { u in
                var v = u
                let norm = u.delta.norm()
                if norm > clip { v.delta.scale(by: Float(clip / norm)) }
                v.sampleCount = 1
                return v
            }
        }
        var probe = base
        let all = probe.combine(inputs)
        let changes = inputs.indices.map { i -> Double in
            var rest = inputs
            rest.remove(at: i)
            var p = base
            var diff = all
            diff.add(p.combine(rest), scaledBy: -1)
            return diff.norm()
        }
        let honest = inputs.indices.filter { !malicious.contains(inputs[$0].hospital) }.map { changes[$0] }
        let mean = honest.isEmpty ? nil : honest.reduce(0, +) / Double(honest.count)
        return inputs.indices.map { i in
            HospitalInfluence(hospital: inputs[i].hospital, malicious: malicious.contains(inputs[i].hospital), change: changes[i],
                              relative: mean.flatMap { $0 > 0 ? changes[i] / $0 : nil })
        }
    }
}

/// The latest membership-inference measurement of the global model, for the console's audit view.
public struct MembershipAuditSnapshot: Sendable, Codable, Equatable {
    /// The attack (`loss-threshold`).
    public var attack: String
    public var auc: Double
    public var tprAt1Percent: Double
    public var members: Int

    public init(attack: String, auc: Double, tprAt1Percent: Double, members: Int) {
        self.attack = attack
        self.auc = auc
        self.tprAt1Percent = tprAt1Percent
        self.members = members
    }
}

/// Something that attacks the global model after each round (the audit module's live membership
/// inference on a simulated federation). Called on a background thread (``AuditPipeline``) beside
/// the next round, once per completed round in order: it should be quick (a forward pass over a
/// few hundred records), since the engine's next hand-over waits while the previous round's audit
/// has not started.
public protocol RoundAuditor: Sendable {
    func audit(model: Sequential, round: Int) -> MembershipAuditSnapshot?
}
