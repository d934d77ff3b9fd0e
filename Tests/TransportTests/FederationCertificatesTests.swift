import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import Transport

@Suite("fedtop certs init: provisioning")
struct FederationCertificatesTests {
    @Test("writes one folder per party with only its files; folders 0700, private keys 0600, the rest 0644")
    func layoutAndModes() throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob", "carol"])
        let expected: [String: [String]] = [
            "ca": ["ca.key", "ca.pem"],
            "console": ["ca.pem", "console.key", "console.pem", "model-signing.key"],
            "alice": ["alice.key", "alice.pem", "ca.pem", "model-signing.pub"],
            "bob": ["bob.key", "bob.pem", "ca.pem", "model-signing.pub"],
            "carol": ["ca.pem", "carol.key", "carol.pem", "model-signing.pub"],
        ]
        let manager = FileManager.default
        #expect(try manager.contentsOfDirectory(atPath: fed.directory).sorted() == expected.keys.sorted())
        #expect(try mode(fed.directory) == 0o700)
        for (folder, files) in expected {
            #expect(try manager.contentsOfDirectory(atPath: fed.folder(folder)).sorted() == files, "\(folder)")
            #expect(try mode(fed.folder(folder)) == 0o700, "\(folder)")
            for file in files {
                let wanted = file.hasSuffix(".key") ? 0o600 : 0o644
                #expect(try mode(fed.file(folder, file)) == wanted, "\(folder)/\(file)")
            }
        }
        // Every party has the same CA certificate.
        let ca = try Data(contentsOf: URL(fileURLWithPath: fed.file("ca", "ca.pem")))
        for folder in ["console", "alice", "bob", "carol"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: fed.file(folder, "ca.pem"))) == ca)
        }
        #expect(fed.report.folders.map(\.path) == ["ca", "console", "alice", "bob", "carol"].map(fed.folder))
        #expect(fed.report.folders.map(\.party) == [nil, .console, .hospital("alice"), .hospital("bob"), .hospital("carol")])
    }

    @Test("the CA is a self-signed CA; each certificate chains to it (swift-certificates Verifier) with the right EKU and SANs")
    func certificatesChainToTheCA() async throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"],
                                            hosts: ["alice=10.0.0.5", "bob=bob.example.org", "bob=[fe80::1]"])
        let ca = try certificate(fed.file("ca", "ca.pem"))
        #expect(ca.subject == ca.issuer)
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(ca.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        let caUsage = try #require(try ca.extensions.keyUsage)
        #expect(caUsage.keyCertSign && caUsage.cRLSign && !caUsage.digitalSignature)
        #expect(FederationCertificates.commonName(of: ca) == fed.report.authorityName)
        #expect(fed.report.authorityName.hasPrefix("fedtop federation CA "))
        let caDER = try PEMDocument(pemString: String(contentsOfFile: fed.file("ca", "ca.pem"), encoding: .utf8)).derBytes
        #expect(fed.report.authorityFingerprint == SHA256.hash(data: caDER).map { String(format: "%02x", $0) }.joined())

        let loopback: [GeneralName] = [.dnsName("localhost"), ip([127, 0, 0, 1]), ip([UInt8](repeating: 0, count: 15) + [1])]
        let expectedNames: [String: [GeneralName]] = [
            "alice": [.dnsName("alice")] + loopback + [ip([10, 0, 0, 5])],
            "bob": [.dnsName("bob")] + loopback + [.dnsName("bob.example.org"), ip([0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1])],
        ]
        for (name, names) in expectedNames {
            let leaf = try certificate(fed.file(name, "\(name).pem"))
            #expect(FederationCertificates.commonName(of: leaf) == name)
            #expect(Array(try #require(try leaf.extensions.extendedKeyUsage)) == [.serverAuth])
            #expect(Array(try #require(try leaf.extensions.subjectAlternativeNames)) == names, "\(name)")
            #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
            #expect(try leaf.extensions.keyUsage?.digitalSignature == true)
            #expect(leaf.notValidAfter == ca.notValidAfter)
            try #expect(key(fed.file(name, "\(name).key")) == leaf.publicKey)

            // Valid for its own name and for localhost, as RFC 6125 checks a server.
            for host in [name, "localhost"] {
                var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                    RFC5280Policy()
                    ServerIdentityPolicy(serverHostname: host, serverIP: nil)
                }
                guard case let .validCertificate(chain) = await verifier.validate(leaf: leaf, intermediates: CertificateStore()) else {
                    Issue.record("\(name).pem does not verify for \(host)")
                    continue
                }
                #expect(Array(chain) == [leaf, ca])
            }
        }
        // --host alice=10.0.0.5 is in alice's certificate only.
        for (name, valid) in [("alice", true), ("bob", false)] {
            var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: nil, serverIP: "10.0.0.5")
            }
            let result = await verifier.validate(leaf: try certificate(fed.file(name, "\(name).pem")), intermediates: CertificateStore())
            if case .validCertificate = result { #expect(valid, "\(name)") } else { #expect(!valid, "\(name)") }
        }

        let console = try certificate(fed.file("console", "console.pem"))
        #expect(FederationCertificates.commonName(of: console) == "console")
        #expect(Array(try #require(try console.extensions.extendedKeyUsage)) == [.clientAuth])
        #expect(try console.extensions.subjectAlternativeNames == nil)
        try #expect(key(fed.file("console", "console.key")) == console.publicKey)
        var verifier = Verifier(rootCertificates: CertificateStore([ca])) { RFC5280Policy() }
        guard case .validCertificate = await verifier.validate(leaf: console, intermediates: CertificateStore()) else {
            Issue.record("console.pem does not chain to the CA")
            return
        }

        // Another federation's CA does not vouch for this one's certificates.
        let other = try ProvisionedFederation(hospitals: ["alice"])
        var otherVerifier = Verifier(rootCertificates: CertificateStore([try certificate(other.file("ca", "ca.pem"))])) {
            RFC5280Policy()
        }
        if case .validCertificate = await otherVerifier.validate(leaf: console, intermediates: CertificateStore()) {
            Issue.record("another federation's CA accepted this console")
        }
    }

    @Test("the console's model-signing key and each hospital's public key are one pair")
    func modelSigningPair() throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"])
        let signing = try ModelSigningKey(pemRepresentation: String(contentsOfFile: fed.file("console", "model-signing.key"), encoding: .utf8))
        let message = Array("global model, round 1".utf8)
        let signature = signing.signature(for: message)
        for name in ["alice", "bob"] {
            let verifying = try ModelVerifyingKey(pemRepresentation: String(contentsOfFile: fed.file(name, "model-signing.pub"), encoding: .utf8))
            #expect(verifying == signing.verifyingKey)
            #expect(verifying.isValidSignature(signature, for: message))
            #expect(!verifying.isValidSignature(signature, for: message + [0]))
        }
        #expect(fed.report.modelSigningFingerprint == signing.verifyingKey.fingerprint)
    }

    @Test("refuses to write over an existing party folder and leaves it and everything else untouched")
    func refusesOverwrite() throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"])
        let before = try Data(contentsOf: URL(fileURLWithPath: fed.file("alice", "alice.key")))
        #expect(throws: ProvisioningError.folderExists(fed.folder("ca"))) {
            try FederationCertificates.provision(into: fed.directory, hospitals: ["alice", "bob"])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: fed.file("alice", "alice.key"))) == before)

        // One party's folder in the way: nothing at all is written.
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/bob", withIntermediateDirectories: false)
        #expect(throws: ProvisioningError.folderExists(directory + "/bob")) {
            try FederationCertificates.provision(into: directory, hospitals: ["alice", "bob"])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["bob"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/bob") == [])
    }

    @Test("refuses bad, reserved and duplicate names, hosts of unknown hospitals, bad hosts and validities, writing nothing")
    func refusesBadInput() throws {
        let cases: [([String], [String], Int, ProvisioningError)] = [
            ([], [], 30, .noHospitals),
            (["alice", ""], [], 30, .invalidHospitalName("", reason: "is empty")),
            (["console"], [], 30, .invalidHospitalName("console", reason: "is reserved (the console's folder)")),
            (["CA"], [], 30, .invalidHospitalName("CA", reason: "is reserved (the CA's folder)")),
            (["../x"], [], 30, .invalidHospitalName("../x", reason: "contains \"/\"; use only letters A-Z a-z, digits, '.', '_' and '-'")),
            (["alice", "Alice"], [], 30, .duplicateHospital("Alice")),
            (["alice"], ["dave=10.0.0.1"], 30, .hostForUnknownHospital("dave=10.0.0.1", hospital: "dave")),
            (["alice"], ["alice"], 30, .invalidHost("alice", reason: "expected HOSPITAL=ADDRESS, e.g. alice=10.0.0.5 or bob=bob.example.org")),
            (["alice"], ["alice=bad_host"], 30, .invalidHost("alice=bad_host", reason: "bad_host is neither an IP address nor a DNS name (letters, digits, '-' and '.')")),
            (["alice"], [], 0, .invalidValidity(0)),
            (["alice"], [], 3651, .invalidValidity(3651)),
        ]
        for (hospitals, hosts, days, expected) in cases {
            let directory = try temporaryDirectory() + "/federation"
            #expect(throws: expected) {
                try FederationCertificates.provision(
                    into: directory, hospitals: hospitals,
                    hosts: try FederationCertificates.parseHosts(hosts, hospitals: hospitals), validityDays: days)
            }
            #expect(!FileManager.default.fileExists(atPath: directory), "\(expected) wrote \(directory)")
        }
        #expect(ProvisioningError.duplicateHospital("Alice").description
                == "hospital Alice is named twice in --hospitals (names are compared without regard to case)")
    }

    // MARK: - Helpers

    func certificate(_ path: String) throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
    }

    func key(_ path: String) throws -> Certificate.PublicKey {
        Certificate.PublicKey(try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: path, encoding: .utf8)).publicKey)
    }

    func ip(_ bytes: [UInt8]) -> GeneralName { .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))) }
}
