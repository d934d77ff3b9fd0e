import Console
import Federation
import Foundation
import Privacy
import Testing

@Suite("The projected ε path from the privacy projection")
struct EpsilonPathTests {
    /// Client-level DP with nothing spent yet: every round pays q = 0.5 at z.
    let projection = LedgerProjection(hospitals: [], batchSize: 64, localEpochs: 1, delta: 1e-5, budget: 3, privacy: .client,
                                      federationLedgerPath: nil, clientSampleRate: 0.5, initialClientNoise: 2)

    func exact(rounds: Int, z: Double) throws -> Double {
        var a = RDPAccountant()
        a.compose(try PrivacySegment(sampleRate: 0.5, noiseMultiplier: z, steps: rounds))
        return a.epsilon(delta: 1e-5).epsilon
    }

    @Test("asked every round, the path is the accountant's ε after each round")
    func exactPath() throws {
        let path = EpsilonPath.project(projection, noiseMultiplier: 2, clipNorm: 1, completedRound: 0, plannedRounds: 12)
        #expect(path.map(\.round) == Array(1...12))
        for p in path { #expect(abs(p.epsilon - (try exact(rounds: p.round, z: 2))) < 1e-9) }
    }

    @Test("sampled, the path never under-states ε, and is exact at the planned end")
    func sampledPath() throws {
        let path = EpsilonPath.project(projection, noiseMultiplier: 2, clipNorm: 1, completedRound: 0, plannedRounds: 20, samples: 3)
        #expect(path.map(\.round) == Array(1...20))
        for p in path { #expect(p.epsilon >= (try exact(rounds: p.round, z: 2)) - 1e-9) }
        #expect(abs(path.last!.epsilon - (try exact(rounds: 20, z: 2))) < 1e-9)
        #expect(zip(path, path.dropFirst()).allSatisfy { $0.epsilon <= $1.epsilon })
        let louder = EpsilonPath.project(projection, noiseMultiplier: 4, clipNorm: 1, completedRound: 0, plannedRounds: 20)
        #expect(zip(louder, path).allSatisfy { $0.epsilon <= $1.epsilon }, "more noise spends less at every round")
        #expect(EpsilonPath.project(projection, noiseMultiplier: 2, clipNorm: 1, completedRound: 20, plannedRounds: 20).isEmpty)
    }
}
