import Federation
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import TensorCore

/// A hostile console's Train request, built field by field, for the audit's resource-exhaustion
/// exercise and the attacker tests: any announced size, any values, any settings, signed or not.
///
/// Contract: ``train(_:)`` connects to a plaintext endpoint (the audit's hospital on loopback; TLS is
/// not what it measures), says Hello, then sends the request and reports how the hospital answered and
/// how long it took, from the request's first byte to the answer's last (the connection excluded). Every gRPC status is an answer; only a
/// failure to connect throws.
public struct HospitalProbe: Sendable {
    /// One crafted request.
    public struct Request: Sendable {
        /// The architecture named in the header (a model-zoo name).
        public var architecture: String
        /// The model whose shapes the header announces (under federated dropout, the sub-model).
        public var announced: Sequential
        /// The parameter count the header claims (nil: the streamed values' count).
        public var claimedParameters: Int?
        /// The values streamed, in chunks of at most 1 MiB.
        public var values: Tensor
        public var settings: RoundSettings
        /// Signed with the probe's key (false: the signature field is empty).
        public var signed: Bool

        public init(architecture: String, announced: Sequential, claimedParameters: Int? = nil, values: Tensor,
                    settings: RoundSettings, signed: Bool = true) {
            self.architecture = architecture
            self.announced = announced
            self.claimedParameters = claimedParameters
            self.values = values
            self.settings = settings
            self.signed = signed
        }
    }

    /// How the hospital answered.
    public struct Answer: Sendable {
        /// nil: it trained and sent an update; else the gRPC status code's name.
        public var refusal: String?
        /// The status message the hospital sent (generic by design).
        public var message: String?
        public var seconds: Double
        /// Values in the update it returned (0 when refused).
        public var updateValues: Int
    }

    public let endpoint: RemoteHospital.Endpoint
    public let signingKey: ModelSigningKey

    public init(endpoint: RemoteHospital.Endpoint, signingKey: ModelSigningKey) {
        self.endpoint = endpoint
        self.signingKey = signingKey
    }

    public func train(_ request: Request) throws -> Answer {
        let shapes = WireFormat.shapes(of: request.announced)
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = generator.next() }
        var header = Fedtop_V1_ModelHeader()
        header.architecture = request.architecture
        header.parameterCount = UInt64(max(0, request.claimedParameters ?? request.values.count))
        header.shapes = WireFormat.message(shapes)
        header.settings = WireFormat.message(request.settings)
        header.runID = "audit"
        header.nonce = Data(nonce)
        if request.signed {
            let signed = ModelSignature(purpose: .train, runID: "audit", nonce: nonce, architecture: request.architecture,
                                        settings: request.settings, shapes: shapes)
            header.signature = Data(signed.sign(parameters: request.values, with: signingKey))
        }
        let chunks = WireFormat.modelChunks(header, request.values)
        let endpoint = self.endpoint
        return try Blocking.run {
            var started = ContinuousClock.now
            var received = 0
            var refusal: String?, message: String?
            do {
                try await withGRPCClient(transport: try endpoint.plaintextTransport(config: .defaults)) { grpc in
                    let client = Fedtop_V1_Hospital.Client(wrapping: grpc)
                    // The connection first (a Hello), so that the time is the request's alone.
                    _ = try await client.hello(.with { $0.protocolVersion = WireFormat.protocolVersion })
                    started = .now
                    received = try await client.train(requestProducer: { try await $0.write(contentsOf: chunks) }, onResponse: { response in
                        var values = 0
                        for try await chunk in response.messages { values += chunk.values.count / 4 }
                        return values
                    })
                }
            } catch let error as RPCError {
                refusal = "\(error.code)"
                message = error.message
            }
            return Answer(refusal: refusal, message: message, seconds: started.duration(to: .now) / .seconds(1), updateValues: received)
        }
    }
}
