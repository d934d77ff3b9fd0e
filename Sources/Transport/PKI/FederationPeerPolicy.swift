import SwiftASN1
import X509

/// The peer a TLS endpoint of the federation accepts.
public enum AcceptedPeer: Sendable, Hashable, CustomStringConvertible {
    /// The console: what a hospital accepts.
    case console
    /// A hospital: what the console accepts; when `expectedName` is given (the operator named the
    /// hospital), only the hospital of that name.
    case hospital(expectedName: String?)

    public var description: String {
        switch self {
        case .console: "the console"
        case .hospital(nil): "a hospital"
        case let .hospital(name?): "hospital \(name)"
        }
    }
}

/// The federation's rule on who a certificate belongs to, as a swift-certificates ``VerifierPolicy``
/// (used with `RFC5280Policy`, which checks signatures, validity dates and basic constraints, and
/// on the console's side `ServerIdentityPolicy`, which checks the address).
///
/// Contract: a chain meets the policy when it is exactly [leaf, federation CA] (the CA issues
/// leaves only) and the leaf
/// - is not a CA (basicConstraints absent or not-a-CA) and, if it has keyUsage, allows digitalSignature;
/// - has one subject common name;
/// - to be accepted as ``AcceptedPeer/console``: common name `console` and extendedKeyUsage clientAuth;
/// - to be accepted as ``AcceptedPeer/hospital(expectedName:)``: extendedKeyUsage serverAuth, a
///   common name that is a valid hospital name (so never `console`) and, when a name is expected,
///   that name (compared without regard to case).
/// So a hospital's certificate from the same CA is refused by a hospital (wrong name and usage),
/// and the console's certificate is refused by the console.
public struct FederationPeerPolicy: VerifierPolicy, Sendable {
    /// Who is accepted.
    public var accepted: AcceptedPeer

    public init(accepting accepted: AcceptedPeer) {
        self.accepted = accepted
    }

    public var verifyingCriticalExtensions: [ASN1ObjectIdentifier] {
        [.X509ExtensionID.extendedKeyUsage, .X509ExtensionID.keyUsage, .X509ExtensionID.basicConstraints]
    }

    public func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        if let problem = Self.problem(with: chain.leaf, accepting: accepted) {
            return .failsToMeetPolicy(reason: problem)
        }
        guard chain.count == 2 else {
            return .failsToMeetPolicy(reason: "the chain has \(chain.count) certificate(s); "
                                      + "a party's certificate is issued directly by the federation CA")
        }
        return .meetsPolicy
    }

    /// What keeps `leaf` from being accepted as `accepted` (the checks on the leaf alone, without
    /// its chain), or nil if nothing does.
    public static func problem(with leaf: Certificate, accepting accepted: AcceptedPeer) -> String? {
        let extensions = leaf.extensions
        do {
            if case .isCertificateAuthority = try extensions.basicConstraints {
                return "it is a CA certificate, not a party's"
            }
            if let keyUsage = try extensions.keyUsage, !keyUsage.digitalSignature {
                return "its key usage does not allow digitalSignature"
            }
        } catch {
            return "its extensions cannot be read: \(error)"
        }
        let usages: ExtendedKeyUsage?
        do { usages = try extensions.extendedKeyUsage } catch {
            return "its extended key usage cannot be read: \(error)"
        }
        guard let name = FederationCertificates.commonName(of: leaf) else {
            return "its subject has no single common name (\(leaf.subject))"
        }
        switch accepted {
        case .console:
            guard name == FederationParty.consoleName else {
                return "it belongs to \"\(name)\", not to the console; a hospital answers only the console"
            }
            guard usages?.contains(.clientAuth) == true else {
                return "it is not a client certificate (no clientAuth extended key usage)"
            }
        case let .hospital(expectedName):
            if let problem = HospitalName.problem(with: name) {
                return "it belongs to \"\(name)\", which is not a hospital: the name \(problem)"
            }
            guard usages?.contains(.serverAuth) == true else {
                return "\"\(name)\" has no server certificate (no serverAuth extended key usage)"
            }
            if let expectedName, !HospitalName.same(name, expectedName) {
                return "it belongs to hospital \"\(name)\", not to the expected hospital \"\(expectedName)\""
            }
        }
        return nil
    }
}
