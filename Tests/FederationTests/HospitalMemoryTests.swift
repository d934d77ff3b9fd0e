import Foundation
import Testing
@testable import Federation
@testable import TensorCore

/// Issue 19: a hospital that is not training holds its data and ledger, but no model-sized buffer of
/// its own — its model is the architecture it was built with (one parameter buffer shared by every
/// hospital), and training borrows scratch from the gate's per-worker computers.
@Suite("A hospital between rounds holds no model-sized buffer")
struct HospitalMemoryTests {
    @Test("after two trained rounds every hospital still shares the one parameter buffer it was built with, and keeps no sent model")
    func noModelBuffers() throws {
        let f = try FederationFixture(hospitals: 4, privacy: true)
        let shared = ObjectIdentifier(f.model.parameters.storage)
        for h in f.hospitals { #expect(ObjectIdentifier(h.architecture.parameters.storage) == shared) }
        let engine = try Engine(configuration: f.configuration(rounds: 2), model: f.model, hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished && events.summaries.count == 2)
        #expect(engine.globalModel.parameters != f.model.parameters)  // the rounds did train
        for h in f.hospitals {
            #expect(ObjectIdentifier(h.architecture.parameters.storage) == shared, "\(h.name) keeps a model of its own")
            #expect(h.lastSentModel == nil)
        }
    }
}
