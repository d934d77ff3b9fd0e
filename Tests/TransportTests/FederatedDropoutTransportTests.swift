import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import TensorCore
import Testing
@testable import Transport

@Suite("Federated dropout over gRPC (loopback)", .serialized)
struct FederatedDropoutTransportTests {
    @Test("a remote hospital trains the signed sub-model and returns an update of its size, paying its ledger as for the full model")
    func trainsSubModel() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let remote = try await offPool { try served.connect() }
        defer { remote.close() }
        let sub = try served.model.subModel(.random(for: served.model, keep: 0.5, seed: 4))
        var round = settings
        round.subModel = sub.mask
        let sent = round, parameters = sub.model.parameters
        let update = try await offPool { try remote.train(globalModel: parameters, settings: sent) { _ in } }
        #expect(update.delta.count == sub.indices.count && update.delta.count < served.model.parameterCount)
        #expect(update.delta.scalars.allSatisfy(\.isFinite) && update.delta.scalars.contains { $0 != 0 })
        // The same spend as a full-model round with the same settings.
        let full = try await offPool { try ServedHospital() }
        defer { full.stop() }
        let fullRemote = try await offPool { try full.connect() }
        defer { fullRemote.close() }
        let model = full.model.parameters
        let fullUpdate = try await offPool { try fullRemote.train(globalModel: model, settings: settings) { _ in } }
        #expect(update.epsilonSpent == fullUpdate.epsilonSpent && (update.epsilonSpent ?? 0) > 0)
    }

    /// Sends one signed Train request made by hand: `signedSettings` in the signature, `sentSettings` on the wire.
    func send(_ served: ServedHospital, parameters: Tensor, shapesOf architecture: Sequential, signedSettings: RoundSettings,
              sentSettings: RoundSettings) async throws -> RPCError? {
        let shapes = WireFormat.shapes(of: architecture)
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let signed = ModelSignature(purpose: .train, runID: "r", nonce: nonce, architecture: "mlp", settings: signedSettings, shapes: shapes)
        var header = Fedtop_V1_ModelHeader()
        header.architecture = "mlp"
        header.parameterCount = UInt64(parameters.count)
        header.shapes = WireFormat.message(shapes)
        header.settings = WireFormat.message(sentSettings)
        header.runID = "r"
        header.nonce = Data(nonce)
        header.signature = Data(signed.sign(parameters: parameters, with: served.consoleKey))
        let chunks = WireFormat.modelChunks(header, parameters)
        do {
            try await withGRPCClient(transport: try served.endpoint.plaintextTransport(config: .defaults)) { grpc in
                let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
                try await client.train(requestProducer: { try await $0.write(contentsOf: chunks) }, onResponse: { response in
                    for try await _ in response.messages {}
                })
            }
            return nil
        } catch let error as RPCError {
            return error
        }
    }

    @Test("attacker: a mask that does not fit the hospital's model is refused with a generic error before any record is touched; the ledger is unchanged")
    func misfitMask() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let before = served.ledgerBytes
        // A unit past the hidden layer's 64, with parameters sized as if it fitted.
        var round = settings
        round.subModel = SubModelMask(keptUnits: [[0, 1, 64]])
        let lookalike = try served.model.subModel(SubModelMask(keptUnits: [[0, 1, 2]])).model
        let error = try await send(served, parameters: lookalike.parameters, shapesOf: lookalike, signedSettings: round, sentSettings: round)
        #expect(error?.code == .invalidArgument)
        #expect(error.map { !$0.message.contains("64") } ?? false, "the peer's error names no detail")
        #expect(served.hospital.epsilonSpent == 0 && served.ledgerBytes == before)
        #expect(served.audit.contains("federated-dropout mask refused"))
    }

    @Test("attacker: the mask is covered by the console's signature; another mask of the same size on the wire is refused")
    func maskIsSigned() async throws {
        let served = try await offPool { try ServedHospital() }
        defer { served.stop() }
        let before = served.ledgerBytes
        let a = SubModelMask(keptUnits: [Array(0..<32)]), b = SubModelMask(keptUnits: [Array(32..<64)])
        let sub = try served.model.subModel(a)
        var signed = settings, sent = settings
        signed.subModel = a
        sent.subModel = b
        let error = try await send(served, parameters: sub.model.parameters, shapesOf: sub.model, signedSettings: signed, sentSettings: sent)
        #expect(error?.code == .permissionDenied)
        #expect(served.hospital.epsilonSpent == 0 && served.ledgerBytes == before)
        // Signed and sent alike, it trains.
        let ok = try await send(served, parameters: sub.model.parameters, shapesOf: sub.model, signedSettings: signed, sentSettings: signed)
        #expect(ok == nil)
        #expect(served.hospital.epsilonSpent > 0)
    }
}
