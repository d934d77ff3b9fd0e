import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// Verifies the certificate chain a TLS peer presents, with swift-certificates' `Verifier`, in place
/// of BoringSSL's own verification (it is NIOSSL's custom verification callback).
///
/// Contract: a peer is accepted when its leaf certificate chains to the federation CA and to it only
/// (the CA is the one trust root; intermediates the peer sends are ignored, since the CA issues
/// leaves directly), and the chain meets, at the time of the handshake:
/// - `RFC5280Policy`: signatures, validity dates, basic constraints, name constraints, version;
/// - ``FederationPeerPolicy``: the peer is the one accepted (console, or a hospital, maybe by name);
/// - when verifying a server (``serverAddress`` given): `ServerIdentityPolicy`, RFC 6125 matching of
///   the address the console connected to (a DNS name or an IP address) against the certificate's
///   subject alternative names.
/// Anything else (no certificate, another CA, a wrong party, an expired certificate, a wrong
/// address) is refused: the handshake fails, and ``onRefused`` gets a sentence saying why, for the
/// local log; the peer learns only that the handshake failed.
public struct FederationPeerVerifier: Sendable {
    /// The federation's CA certificate, the only trust root.
    public let authority: Certificate
    /// Who is accepted.
    public let accepted: AcceptedPeer
    /// The address the console connected to (host name or IP literal), when verifying a hospital.
    public let serverAddress: String?
    /// Told why each refused peer was refused.
    public let onRefused: @Sendable (String) -> Void

    public init(authority: Certificate, accepting accepted: AcceptedPeer, serverAddress: String? = nil,
                onRefused: @escaping @Sendable (String) -> Void = { _ in }) {
        self.authority = authority
        self.accepted = accepted
        self.serverAddress = serverAddress
        self.onRefused = onRefused
    }

    /// The outcome of ``verify(presented:)``.
    public enum Outcome: Sendable, Equatable {
        /// Accepted: the validated chain, leaf first, ending with the CA.
        case accepted(chain: [Certificate])
        /// Refused, and why.
        case refused(reason: String)
    }

    /// Verifies the chain a peer presented (leaf first).
    public func verify(presented: [Certificate]) async -> Outcome {
        guard let leaf = presented.first else {
            return .refused(reason: "\(accepted) must present a certificate and presented none")
        }
        let roots = CertificateStore([authority])
        let result: CertificateValidationResult
        if let serverAddress {
            let isIP = HostName.isIPAddress(serverAddress)
            let identity = ServerIdentityPolicy(serverHostname: isIP ? nil : serverAddress, serverIP: isIP ? serverAddress : nil)
            var verifier = Verifier(rootCertificates: roots) {
                RFC5280Policy()
                FederationPeerPolicy(accepting: accepted)
                identity
            }
            result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        } else {
            var verifier = Verifier(rootCertificates: roots) {
                RFC5280Policy()
                FederationPeerPolicy(accepting: accepted)
            }
            result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        }
        switch result {
        case let .validCertificate(chain):
            return .accepted(chain: Array(chain))
        case let .couldNotValidate(failures):
            let who = (FederationCertificates.commonName(of: leaf).map { "\"\($0)\"" } ?? "(no common name)")
                + (serverAddress.map { " at \($0)" } ?? "")
            if failures.isEmpty {
                if let problem = FederationPeerPolicy.problem(with: leaf, accepting: accepted) {
                    return .refused(reason: "certificate of \(who) refused: \(problem)")
                }
                return .refused(reason: "certificate of \(who) was not issued by this federation's CA "
                                + "(\(FederationCertificates.commonName(of: authority) ?? "the CA"))")
            }
            var reasons: [String] = []
            for failure in failures where !reasons.contains(failure.policyFailureReason.description) {
                reasons.append(failure.policyFailureReason.description)
            }
            return .refused(reason: "certificate of \(who) refused: " + reasons.joined(separator: "; "))
        }
    }

    /// NIOSSL's custom verification callback: verifies on a task and completes `promise` with the
    /// validated chain, or `.failed` (after telling ``onRefused``).
    public func verify(_ certificates: [NIOSSLCertificate],
                       _ promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>) {
        let presented: [Certificate]
        do {
            presented = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            onRefused("\(accepted) expected; the peer's certificate cannot be parsed: \(error)")
            promise.succeed(.failed)
            return
        }
        Task {
            switch await verify(presented: presented) {
            case let .accepted(chain):
                do {
                    let validated = try chain.map { certificate -> NIOSSLCertificate in
                        var serializer = DER.Serializer()
                        try serializer.serialize(certificate)
                        return try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
                    }
                    promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(validated))))
                } catch {
                    onRefused("\(accepted) expected; the validated chain cannot be re-encoded: \(error)")
                    promise.succeed(.failed)
                }
            case let .refused(reason):
                onRefused(reason)
                promise.succeed(.failed)
            }
        }
    }
}
