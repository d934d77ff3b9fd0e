import Foundation
import Testing
import X509
@testable import Transport

@Suite("Loading a party's folder (--certs DIR)")
struct PartyCredentialsTests {
    @Test("a freshly provisioned console and hospital load, with their certificates, keys and model keys")
    func loads() throws {
        let fed = try ProvisionedFederation(hospitals: ["alice", "bob"])
        let console = try fed.console()
        let alice = try fed.hospital("alice")
        #expect(console.identity.party == .console)
        #expect(alice.identity.party == .hospital("alice"))
        #expect(alice.name == "alice")
        #expect(FederationCertificates.commonName(of: alice.identity.certificate) == "alice")
        #expect(console.identity.authority == alice.identity.authority)
        #expect(alice.modelVerifyingKey == console.modelSigningKey.verifyingKey)
        // A trailing slash on the folder is fine.
        #expect(try HospitalCredentials.load(folder: fed.folder("bob") + "/", name: "bob").name == "bob")
    }

    @Test("each missing file is a failure naming the folder, the file and what it is for")
    func missingFiles() throws {
        let cases: [(folder: String, file: String, purpose: String)] = [
            ("alice", "ca.pem", "the federation's CA certificate"),
            ("alice", "alice.pem", "this hospital's certificate"),
            ("alice", "alice.key", "this hospital's private key"),
            ("alice", "model-signing.pub", "the console's model-signing public key"),
            ("console", "ca.pem", "the federation's CA certificate"),
            ("console", "console.pem", "the console's certificate"),
            ("console", "console.key", "the console's private key"),
            ("console", "model-signing.key", "the console's model-signing private key"),
        ]
        for (folder, file, purpose) in cases {
            let fed = try ProvisionedFederation(hospitals: ["alice"])
            try FileManager.default.removeItem(atPath: fed.file(folder, file))
            let expected = CredentialsError.missing(folder: fed.folder(folder), file: file, purpose: purpose)
            #expect(throws: expected) { _ = try load(fed, folder) }
            #expect(expected.description == "\(fed.folder(folder)): \(file) (\(purpose)) is missing")
        }
        let fed = try ProvisionedFederation(hospitals: ["alice"])
        #expect(throws: CredentialsError.notAFolder(folder: fed.folder("dave"), reason: "there is no such folder")) {
            try HospitalCredentials.load(folder: fed.folder("dave"), name: "dave")
        }
        // The wrong name for the folder: its certificate is not there.
        #expect(throws: CredentialsError.missing(folder: fed.folder("alice"), file: "bob.pem", purpose: "this hospital's certificate")) {
            try HospitalCredentials.load(folder: fed.folder("alice"), name: "bob")
        }
    }

    @Test("a private key readable by group or others is refused, as ssh does; certificates may be 0644")
    func exposedKeys() throws {
        for (folder, file) in [("alice", "alice.key"), ("console", "console.key"), ("console", "model-signing.key")] {
            for exposed in [0o644, 0o640, 0o604] {
                let fed = try ProvisionedFederation(hospitals: ["alice"])
                try FileManager.default.setAttributes([.posixPermissions: exposed], ofItemAtPath: fed.file(folder, file))
                let error = try #require(throws: CredentialsError.self) { _ = try load(fed, folder) }
                guard case let .exposed(errorFolder, errorFile, _, mode) = error else {
                    Issue.record("\(folder)/\(file) \(String(exposed, radix: 8)): \(error)")
                    continue
                }
                #expect(errorFolder == fed.folder(folder) && errorFile == file && mode == UInt32(exposed))
                #expect(error.description.contains("may be read by group or others (mode 0\(String(exposed, radix: 8)))"))
                #expect(error.description.hasSuffix("chmod 600 \(fed.file(folder, file))"))
            }
        }
        // 0400 is private enough.
        let fed = try ProvisionedFederation(hospitals: ["alice"])
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: fed.file("alice", "alice.key"))
        _ = try fed.hospital("alice")
    }

    @Test("a certificate (and key) from another federation's CA is refused, naming the certificate")
    func otherCA() throws {
        let fed = try ProvisionedFederation(hospitals: ["alice"])
        let other = try ProvisionedFederation(hospitals: ["alice"])
        for file in ["alice.pem", "alice.key"] {
            try FileManager.default.removeItem(atPath: fed.file("alice", file))
            try FileManager.default.copyItem(atPath: other.file("alice", file), toPath: fed.file("alice", file))
        }
        let error = try #require(throws: CredentialsError.self) { _ = try fed.hospital("alice") }
        guard case let .untrusted(folder, file, purpose, reason) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(folder == fed.folder("alice") && file == "alice.pem" && purpose == "this hospital's certificate")
        #expect(reason.hasPrefix("it was not issued by the federation CA in ca.pem (\(fed.report.authorityName))"))
    }

    @Test("another party's certificate, a key of another party, garbage and an expired certificate are refused")
    func wrongContents() throws {
        // The console's certificate and key in a hospital's place.
        var fed = try ProvisionedFederation(hospitals: ["alice"])
        try replace(fed.file("alice", "alice.pem"), with: fed.file("console", "console.pem"))
        try replace(fed.file("alice", "alice.key"), with: fed.file("console", "console.key"))
        var error = try #require(throws: CredentialsError.self) { _ = try fed.hospital("alice") }
        #expect(error.description.contains("alice.pem (this hospital's certificate) is refused: it is not hospital alice's certificate"), "\(error)")

        // Bob's key with alice's certificate.
        fed = try ProvisionedFederation(hospitals: ["alice", "bob"])
        try replace(fed.file("alice", "alice.key"), with: fed.file("bob", "bob.key"))
        #expect(throws: CredentialsError.keyMismatch(folder: fed.folder("alice"), keyFile: "alice.key", certificateFile: "alice.pem")) {
            _ = try fed.hospital("alice")
        }

        // Not PEM.
        fed = try ProvisionedFederation(hospitals: ["alice"])
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: fed.file("alice", "ca.pem")))
        error = try #require(throws: CredentialsError.self) { _ = try fed.hospital("alice") }
        #expect(error == .malformed(folder: fed.folder("alice"), file: "ca.pem", purpose: "the federation's CA certificate", reason: "not PEM (no -----BEGIN CERTIFICATE----- block)"))

        // The model-signing public key replaced by something else.
        try FileManager.default.removeItem(atPath: fed.file("alice", "ca.pem"))
        try FileManager.default.copyItem(atPath: fed.file("ca", "ca.pem"), toPath: fed.file("alice", "ca.pem"))
        try replace(fed.file("alice", "model-signing.pub"), with: fed.file("alice", "alice.pem"))
        error = try #require(throws: CredentialsError.self) { _ = try fed.hospital("alice") }
        #expect(error.description.hasSuffix("model-signing.pub (the console's model-signing public key) is not usable: "
                                            + "a PEM CERTIFICATE, expected a PEM PUBLIC KEY"), "\(error)")

        // Expired: the same folder a year and a day later.
        fed = try ProvisionedFederation(hospitals: ["alice"], validityDays: 365)
        let later = Date().addingTimeInterval(366 * 86_400)
        error = try #require(throws: CredentialsError.self) { _ = try HospitalCredentials.load(folder: fed.folder("alice"), name: "alice", now: later) }
        #expect(error.description.contains("ca.pem (the federation's CA certificate) is refused: it expired on"), "\(error)")
    }

    // MARK: - Helpers

    func load(_ fed: ProvisionedFederation, _ folder: String) throws {
        if folder == "console" { _ = try fed.console() } else { _ = try fed.hospital(folder) }
    }

    /// Replaces the file at `path` by a copy of `source`, keeping `path`'s permission bits.
    func replace(_ path: String, with source: String) throws {
        let bits = try mode(path)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: source, toPath: path)
        try FileManager.default.setAttributes([.posixPermissions: bits], ofItemAtPath: path)
    }
}
