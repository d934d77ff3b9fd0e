import Privacy
import SecureAggregation

/// One session of the bare secure-aggregation protocol (SecAgg, Bonawitz et al. 2017; SecAgg+ on a
/// Harary graph from 64 hospitals, Bell et al. 2020) on one thread, timed phase by phase, with every
/// message's size.
///
/// Contract: `n` hospitals, each with a random input of `d` + 1 quantised coordinates, no dropouts;
/// the times are seconds (per hospital: the mean over hospitals), the bytes are the payloads each
/// hospital sends and receives on average (keys 68 bytes each, encrypted shares with an 8-byte
/// header, masked inputs 4 bytes a coordinate, unmasking answers), without framing.
public enum ProtocolCost {
    /// One measurement: the bytes each party sends, by phase.
    public struct Result: Sendable {
        /// `complete`, or `Harary k=DEGREE`.
        public var graph: String
        public var threshold: Int
        /// Mean seconds per hospital: keys, shares, masked input, unmasking.
        public var perHospital: [Double]
        public var aggregator: Double
        /// Mean bytes each hospital sends.
        public var sent: Double
        /// Mean bytes each hospital receives.
        public var received: Double
    }

    public static func measure(hospitals n: Int, parameters d: Int) throws -> Result {
        let graph = CommunicationGraph.forFederation(n)
        let p = try SecAggParameters(runID: "bench", round: 1, graph: graph, threshold: SecAggParameters.defaultThreshold(for: graph),
                                     vectorLength: d + 1)
        var generator = ChaCha20Generator(seed: 1)
        let input = (0...d).map { _ in UInt32.random(in: 0...65_535, using: &generator) }
        var server = SecAggServer(parameters: p)
        var clientTime = [Double](repeating: 0, count: 4), serverTime = 0.0
        var sent = 0.0, received = 0.0
        let clock = ContinuousClock()
        func timed<T>(_ slot: Int?, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            let r = try body()
            let s = (clock.now - start) / .seconds(1)
            if let slot { clientTime[slot] += s } else { serverTime += s }
            return r
        }
        // Key generation (two X25519 pairs and the self-mask seed) counts as key advertisement.
        var clients: [SecAggClient] = []
        var keys: [AdvertisedKeys] = []
        for id in p.participants {
            try timed(0) {
                var c = try SecAggClient(parameters: p, participant: id, input: input, generator: ChaCha20Generator(seed: UInt64(id)))
                keys.append(try c.advertise())
                clients.append(c)
            }
        }
        sent += Double(keys.count * 68)
        let roster = try timed(nil) { try server.closeAdvertisement(keys) }
        received += Double(n * roster.count * 68)
        var shares: [UInt32: [EncryptedShare]] = [:]
        for i in clients.indices {
            let s = try timed(1) { try clients[i].shareKeys(roster: roster) }
            sent += Double(s.reduce(0) { $0 + $1.ciphertext.count + 8 })
            shares[clients[i].participant] = s
        }
        let routed = try timed(nil) { try server.closeSharing(shares) }
        var masked: [MaskedInput] = []
        for i in clients.indices {
            let mine = routed[clients[i].participant] ?? []
            received += Double(mine.reduce(0) { $0 + $1.ciphertext.count + 8 })
            masked.append(try timed(2) { try clients[i].maskedInput(shares: mine) })
            sent += Double(4 * (d + 1) + 4)
        }
        let request = try timed(nil) { try server.closeMasking(masked) }
        var responses: [UnmaskingResponse] = []
        for i in clients.indices {
            received += Double(4 * (request.survivors.count + request.dropped.count))
            let r = try timed(3) { try clients[i].unmask(request) }
            sent += Double((r.selfMaskShares.count + r.maskKeyShares.count) * (8 + 8 * 5))
            responses.append(r)
        }
        _ = try timed(nil) { try server.finish(responses) }
        return Result(graph: graph.isComplete ? "complete" : "Harary k=\(graph.degree)", threshold: p.threshold,
                      perHospital: clientTime.map { $0 / Double(n) }, aggregator: serverTime,
                      sent: sent / Double(n), received: received / Double(n))
    }
}
