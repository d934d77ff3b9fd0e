import Testing
import Privacy
@testable import SecureAggregation

/// Everything the aggregator received in one session.
struct AggregatorView {
    var advertisements: [AdvertisedKeys] = []
    var shares: [EncryptedShare] = []
    var maskedInputs: [MaskedInput] = []
    var responses: [UnmaskingResponse] = []
}

/// Who drops before sending their message at each phase.
struct DropoutPlan {
    var atAdvertise: Set<UInt32> = []
    var atShare: Set<UInt32> = []
    var atMasked: Set<UInt32> = []
    var atUnmask: Set<UInt32> = []
}

/// Runs one whole session in memory, recording the aggregator's view.
func runSession(n: Int, threshold: Int? = nil, graph: CommunicationGraph? = nil, length: Int, inputs: [[UInt32]],
                plan: DropoutPlan, seed: UInt64) throws(SecAggError) -> (sum: [UInt32], survivors: Set<UInt32>, view: AggregatorView) {
    let graph = graph ?? .forFederation(n)
    let parameters = try SecAggParameters(runID: "test-run", round: 3, graph: graph,
                                          threshold: threshold ?? SecAggParameters.defaultThreshold(for: graph), vectorLength: length)
    var clients: [UInt32: SecAggClient] = [:]
    for id in parameters.participants {
        clients[id] = try SecAggClient(parameters: parameters, participant: id, input: inputs[Int(id) - 1],
                                       generator: ChaCha20Generator(seed: seed, stream: UInt64(id)))
    }
    var server = SecAggServer(parameters: parameters)
    var view = AggregatorView()
    var alive = Set(parameters.participants)

    alive.subtract(plan.atAdvertise)
    for id in alive.sorted() { view.advertisements.append(try clients[id]!.advertise()) }
    let roster = try server.closeAdvertisement(view.advertisements)

    alive.subtract(plan.atShare)
    var sent: [UInt32: [EncryptedShare]] = [:]
    for id in alive.sorted() {
        let s = try clients[id]!.shareKeys(roster: roster)
        sent[id] = s
        view.shares += s
    }
    let routed = try server.closeSharing(sent)

    alive.subtract(plan.atMasked)
    for id in alive.sorted() where routed[id] != nil {
        view.maskedInputs.append(try clients[id]!.maskedInput(shares: routed[id]!))
    }
    let request = try server.closeMasking(view.maskedInputs)

    alive.subtract(plan.atUnmask)
    for id in alive.sorted() where request.survivors.contains(id) { view.responses.append(try clients[id]!.unmask(request)) }
    return (try server.finish(view.responses), Set(request.survivors), view)
}

@Suite("SecAgg protocol")
struct SecAggProtocolTests {
    func randomInputs(n: Int, length: Int, _ g: inout ChaCha20Generator) -> [[UInt32]] {
        (0..<n).map { _ in (0..<length).map { _ in UInt32.random(in: 0...1000, using: &g) } }
    }

    func plainSum(_ inputs: [[UInt32]], of ids: Set<UInt32>, length: Int) -> [UInt32] {
        var s = [UInt32](repeating: 0, count: length)
        for id in ids { for i in 0..<length { s[i] &+= inputs[Int(id) - 1][i] } }
        return s
    }

    /// The security property of the aggregator's view: for no hospital does it hold both t shares of
    /// the self-mask seed and t shares of the mask key (either alone leaves the input masked), and no
    /// masked input is the hospital's input.
    func checkView(_ view: AggregatorView, inputs: [[UInt32]], threshold: Int) {
        var selfShares: [UInt32: Int] = [:], keyShares: [UInt32: Int] = [:]
        for r in view.responses {
            for s in r.selfMaskShares { selfShares[s.owner, default: 0] += 1 }
            for s in r.maskKeyShares { keyShares[s.owner, default: 0] += 1 }
            #expect(Set(r.selfMaskShares.map(\.owner)).isDisjoint(with: r.maskKeyShares.map(\.owner)))
        }
        for (owner, count) in selfShares where count >= threshold {
            #expect((keyShares[owner] ?? 0) < threshold, "the aggregator could unmask hospital \(owner) alone")
        }
        for m in view.maskedInputs {
            let x = inputs[Int(m.participant) - 1]
            let equal = zip(m.words, x).filter { $0 == $1 }.count
            #expect(equal <= 2, "hospital \(m.participant)'s masked input matches its input in \(equal) coordinates")
        }
    }

    @Test("with no dropouts the unmasked sum is the plain sum", arguments: [2, 3, 5, 10])
    func noDropouts(n: Int) throws {
        var g = ChaCha20Generator(seed: UInt64(n))
        let inputs = randomInputs(n: n, length: 257, &g)
        let result = try runSession(n: n, length: 257, inputs: inputs, plan: .init(), seed: 1)
        #expect(result.survivors.count == n)
        #expect(result.sum == plainSum(inputs, of: result.survivors, length: 257))
        checkView(result.view, inputs: inputs, threshold: SecAggParameters.defaultThreshold(for: .complete(n)))
    }

    @Test("property: random n, t, graph and dropouts at every phase — the sum of the masked-input survivors, or a clean abort below t")
    func randomDropouts() throws {
        var g = ChaCha20Generator(seed: 2024)
        var completed = 0, aborted = 0
        for trial in 0..<60 {
            let sparse = trial % 6 == 5
            let n = sparse ? Int.random(in: 64...80, using: &g) : Int.random(in: 3...14, using: &g)
            let graph = sparse ? CommunicationGraph.forFederation(n) : .complete(n)
            let hood = graph.degree + 1
            let t = Int.random(in: (hood / 2 + 1)...hood, using: &g)
            let length = Int.random(in: 1...40, using: &g)
            let inputs = randomInputs(n: n, length: length, &g)
            var ids = Array(1...UInt32(n)).shuffled(using: &g)
            let rate = Double.random(in: 0...0.35, using: &g)
            func take() -> Set<UInt32> {
                let k = Int((Double(ids.count) * rate * 0.5).rounded(.down))
                let out = Set(ids.prefix(Int.random(in: 0...max(k, 0), using: &g)))
                ids.removeFirst(out.count)
                return out
            }
            let plan = DropoutPlan(atAdvertise: take(), atShare: take(), atMasked: take(), atUnmask: take())
            do {
                let r = try runSession(n: n, threshold: t, graph: graph, length: length, inputs: inputs, plan: plan, seed: UInt64(trial))
                let expected = Set(1...UInt32(n)).subtracting(plan.atAdvertise).subtracting(plan.atShare).subtracting(plan.atMasked)
                #expect(r.survivors == expected)
                #expect(r.sum == plainSum(inputs, of: expected, length: length))
                checkView(r.view, inputs: inputs, threshold: t)
                completed += 1
            } catch SecAggError.belowThreshold(_, let have, let need) {
                #expect(have < need)
                aborted += 1
            }
        }
        #expect(completed > 20)
        #expect(aborted > 0)
    }

    @Test("n − t dropouts are recovered at each phase; one more aborts with no aggregate", arguments: SecAggPhase.allCases)
    func thresholdEdge(phase: SecAggPhase) throws {
        let n = 7, t = 4, length = 16
        var g = ChaCha20Generator(seed: 77)
        let inputs = randomInputs(n: n, length: length, &g)
        func plan(_ dropped: Set<UInt32>) -> DropoutPlan {
            switch phase {
            case .advertiseKeys: DropoutPlan(atAdvertise: dropped)
            case .shareKeys: DropoutPlan(atShare: dropped)
            case .maskedInput: DropoutPlan(atMasked: dropped)
            case .unmasking: DropoutPlan(atUnmask: dropped)
            }
        }
        let r = try runSession(n: n, threshold: t, graph: .complete(n), length: length, inputs: inputs, plan: plan([2, 4, 6]), seed: 5)
        let survivors: Set<UInt32> = phase == .unmasking ? Set(1...7) : [1, 3, 5, 7]
        #expect(r.sum == plainSum(inputs, of: survivors, length: length))
        #expect(throws: SecAggError.self) {
            try runSession(n: n, threshold: t, graph: .complete(n), length: length, inputs: inputs, plan: plan([1, 2, 4, 6]), seed: 5)
        }
    }

    /// A client that has reached the unmasking round, and the request an honest aggregator would send.
    func clientAtUnmasking() throws -> (SecAggClient, UnmaskingRequest) {
        let n = 5
        let parameters = try SecAggParameters(runID: "r", round: 1, graph: .complete(n), threshold: 3, vectorLength: 4)
        var clients = try parameters.participants.map {
            try SecAggClient(parameters: parameters, participant: $0, input: [1, 2, 3, 4], generator: ChaCha20Generator(seed: UInt64($0)))
        }
        var server = SecAggServer(parameters: parameters)
        let roster = try server.closeAdvertisement(try clients.indices.map { try clients[$0].advertise() })
        var sent: [UInt32: [EncryptedShare]] = [:]
        for i in clients.indices { sent[clients[i].participant] = try clients[i].shareKeys(roster: roster) }
        let routed = try server.closeSharing(sent)
        var masked: [MaskedInput] = []
        for i in clients.indices.dropLast() { masked.append(try clients[i].maskedInput(shares: routed[clients[i].participant]!)) }
        return (clients[0], try server.closeMasking(masked))  // hospital 5 dropped after sharing
    }

    @Test("a hospital refuses a misbehaving aggregator: both shares of one peer, a second request, itself dropped, a hidden neighbour")
    func misbehavingAggregator() throws {
        let (client, honest) = try clientAtUnmasking()
        #expect(honest.dropped == [5])
        var c = client
        // Peer 2 named both surviving and dropped.
        #expect(throws: SecAggError.self) { try c.unmask(UnmaskingRequest(survivors: [1, 2, 3, 4], dropped: [2, 5])) }
        // Asking once as survivor, then again as dropped: the second request is refused.
        var first = client
        let answer = try first.unmask(honest)
        #expect(answer.maskKeyShares.map(\.owner) == [5] && answer.selfMaskShares.map(\.owner) == [1, 2, 3, 4])
        #expect(throws: SecAggError.refused("a second unmasking request for this session")) {
            try first.unmask(UnmaskingRequest(survivors: [1, 3, 4], dropped: [2, 5]))
        }
        var me = client
        #expect(throws: SecAggError.self) { try me.unmask(UnmaskingRequest(survivors: [2, 3, 4], dropped: [1, 5])) }
        var hidden = client
        #expect(throws: SecAggError.self) { try hidden.unmask(UnmaskingRequest(survivors: [1, 2, 3], dropped: [5])) }
    }

    @Test("a hospital refuses a roster that swaps its keys or repeats one")
    func roster() throws {
        let parameters = try SecAggParameters(runID: "r", round: 1, graph: .complete(3), threshold: 2, vectorLength: 1)
        var a = try SecAggClient(parameters: parameters, participant: 1, input: [0], generator: ChaCha20Generator(seed: 1))
        var b = try SecAggClient(parameters: parameters, participant: 2, input: [0], generator: ChaCha20Generator(seed: 2))
        let ka = try a.advertise(), kb = try b.advertise()
        var a2 = a
        #expect(throws: SecAggError.self) {  // the aggregator replays b's masking key as a's
            try a2.shareKeys(roster: [AdvertisedKeys(participant: 1, encryptionKey: ka.encryptionKey, maskingKey: kb.maskingKey), kb])
        }
        var a3 = a
        #expect(throws: SecAggError.self) {  // reflection: a's own keys under b's id
            try a3.shareKeys(roster: [ka, AdvertisedKeys(participant: 2, encryptionKey: ka.encryptionKey, maskingKey: ka.maskingKey)])
        }
        let shares = try a.shareKeys(roster: [ka, kb])
        #expect(shares.count == 1 && shares[0].to == 2)
        // A share tampered with in transit does not authenticate.
        _ = try b.shareKeys(roster: [ka, kb])
        var bad = shares[0]
        bad.ciphertext[20] ^= 1
        #expect(throws: SecAggError.self) { try b.maskedInput(shares: [bad]) }
    }
}
