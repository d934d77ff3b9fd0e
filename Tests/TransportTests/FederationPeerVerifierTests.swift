import Crypto
import Foundation
import Testing
import X509
@testable import Transport

@Suite("Who a TLS endpoint accepts (FederationPeerVerifier)")
struct FederationPeerVerifierTests {
    @Test("a hospital accepts the console's chain and refuses a hospital's, another CA's and none")
    func hospitalSide() async throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"])
        let other = try ProvisionedFederation(hospitals: ["alice"])
        let verifier = try fed.hospital("alice").clientVerifier()
        let console = try fed.console().identity

        guard case let .accepted(chain) = await verifier.verify(presented: [console.certificate]) else {
            Issue.record("the console was refused")
            return
        }
        #expect(chain == [console.certificate, console.authority])

        let bob = try fed.hospital("bob").identity.certificate
        #expect(await refusal(verifier, [bob])
                == "certificate of \"bob\" refused: it belongs to \"bob\", not to the console; a hospital answers only the console")
        let otherConsole = try other.console().identity.certificate
        #expect(await refusal(verifier, [otherConsole])
                == "certificate of \"console\" was not issued by this federation's CA (\(fed.report.authorityName))")
        // Another CA's chain sent along does not help: the federation CA is the only root.
        #expect(await refusal(verifier, [otherConsole, try other.console().identity.authority])?.contains("not issued by this federation's CA") == true)
        #expect(await refusal(verifier, []) == "the console must present a certificate and presented none")
        // The CA's own certificate is not a party's.
        #expect(await refusal(verifier, [console.authority])?.contains("it is a CA certificate") == true)
    }

    @Test("the console accepts a hospital reached at a name or IP in its certificate, by name when pinned, and nothing else")
    func consoleSide() async throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"], hosts: ["alice=10.0.0.5"])
        let console = try fed.console()
        let alice = try fed.hospital("alice").identity.certificate

        for host in ["127.0.0.1", "::1", "[::1]", "localhost", "alice", "10.0.0.5"] {
            for pin in [nil, "alice", "ALICE"] {
                let outcome = await console.serverVerifier(host: host, expectedHospital: pin).verify(presented: [alice])
                guard case .accepted = outcome else {
                    Issue.record("alice at \(host), pinned to \(pin ?? "nothing"): \(outcome)")
                    continue
                }
            }
        }
        let pinned = console.serverVerifier(host: "127.0.0.1", expectedHospital: "bob")
        #expect(await refusal(pinned, [alice]) == "certificate of \"alice\" at 127.0.0.1 refused: it belongs to hospital \"alice\", "
                + "not to the expected hospital \"bob\"")
        // An address the certificate does not name.
        for host in ["10.0.0.6", "bob", "alice.example.org"] {
            let reason = await refusal(console.serverVerifier(host: host), [alice])
            #expect(reason?.hasPrefix("certificate of \"alice\" at \(host) refused: None of the names in SAN extension matched") == true,
                    "\(host): \(reason ?? "accepted")")
        }
        // The console's own certificate is no hospital's.
        let consoleCertificate = console.identity.certificate
        #expect(await refusal(console.serverVerifier(host: "127.0.0.1"), [consoleCertificate])?
                    .contains("it belongs to \"console\", which is not a hospital") == true)
    }

    @Test("an expired certificate is refused by RFC 5280's checks")
    func expired() async throws {
        // The console's certificate as this federation's CA would have issued it, valid only in the past.
        let fed = try ProvisionedFederation(hospitals: ["alice"])
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: fed.file("ca", "ca.key"), encoding: .utf8))
        let console = try fed.console().identity.certificate
        let stale = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: console.publicKey,
            notValidBefore: Date().addingTimeInterval(-400 * 86_400), notValidAfter: Date().addingTimeInterval(-86_400),
            issuer: console.issuer, subject: console.subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: console.extensions, issuerPrivateKey: Certificate.PrivateKey(caKey))
        let reason = await refusal(try fed.hospital("alice").clientVerifier(), [stale])
        #expect(reason?.contains("expired") == true, "\(reason ?? "accepted")")
    }

    func refusal(_ verifier: FederationPeerVerifier, _ chain: [Certificate]) async -> String? {
        if case let .refused(reason) = await verifier.verify(presented: chain) { return reason }
        return nil
    }
}
