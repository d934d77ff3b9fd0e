import Federation
import Privacy

extension RemoteHospital {
    /// What a Hello reply tells, checked before any of it is used (``PeerValues``): the protocol version,
    /// the name (the one pinned, if any), usable data, a valid policy and privacy state, the ledger history.
    static func introduction(_ reply: Fedtop_V1_HelloReply, endpoint: Endpoint) throws(TransportError) -> Introduction {
        guard reply.protocolVersion == WireFormat.protocolVersion else {
            throw TransportError("\(endpoint) speaks protocol version \(reply.protocolVersion); this console speaks \(WireFormat.protocolVersion)")
        }
        guard !reply.name.isEmpty else { throw TransportError("\(endpoint) did not say its name") }
        if let expected = endpoint.expectedName, expected != reply.name {
            throw TransportError("\(endpoint) answers as '\(reply.name)', not '\(expected)'")
        }
        if let problem = PeerValues.problem(hello: reply) {
            throw TransportError("\(reply.name.prefix(64)) at \(endpoint.address) sent an unusable Hello: \(problem)")
        }
        let shape = reply.dataset.featureShape.map { Int($0) }
        let policy: HospitalPolicy?
        do { policy = reply.hasPolicy ? try WireFormat.policy(reply.policy) : nil } catch {
            throw TransportError("\(reply.name) at \(endpoint.address): \(error)")
        }
        var adversarial: AdversarialTraining?
        if reply.hasAdversarial {
            do {
                guard reply.adversarial.spec.utf8.count <= 64 else { throw PrivacyError.malformedSpecification("longer than 64 bytes") }
                adversarial = try AdversarialTraining(parsing: reply.adversarial.spec, ratio: reply.adversarial.ratio)
            } catch {
                throw TransportError("\(reply.name) at \(endpoint.address): its adversarial training is not valid: \(error)")
            }
        }
        var history: [PrivacySegment] = []
        for segment in reply.privacy.history { history.append(try WireFormat.segment(segment)) }
        let p = reply.privacy
        let summary = HospitalSummary(name: reply.name, trainRecords: WireFormat.int(reply.dataset.trainRecords),
                                      testRecords: WireFormat.int(reply.dataset.testRecords),
                                      classCounts: reply.dataset.classCounts.map(WireFormat.int),
                                      epsilonBudget: p.dpSgd ? p.epsilonBudget : nil, delta: p.dpSgd ? p.delta : nil,
                                      epsilonSpent: p.epsilonSpent, secureNoise: p.secureNoise, policy: policy,
                                      adversarial: adversarial)
        return Introduction(summary: summary, datasetName: reply.dataset.name, featureShape: shape,
                            classNames: reply.dataset.classNames, history: history, dpSGD: p.dpSgd,
                            capabilities: Array(reply.capabilities.prefix(64)))
    }
}
