import Crypto
import Foundation
import TensorCore
import NIOSSL
import SwiftASN1
import X509

/// A party's TLS identity, loaded and checked from its folder: the federation CA, the party's own
/// certificate (issued by that CA) and its P-256 private key.
///
/// Contract (checked by ``HospitalCredentials/load(folder:name:now:)`` and
/// ``ConsoleCredentials/load(folder:now:)``, each failure a ``CredentialsError`` naming the file and
/// what it is for; nothing is used in part):
/// - every file is present and readable, and a private key (TLS or model-signing) may not be read by
///   group or others (mode & 0o077 == 0), as ssh requires of its keys;
/// - `ca.pem` is one self-signed CA certificate, valid now;
/// - the party's certificate is issued and signed by that CA, valid now, and is this party's
///   (``FederationPeerPolicy/problem(with:accepting:)``: the console's is `CN=console` clientAuth, a
///   hospital's is `CN=<name>` serverAuth);
/// - the private key is the certificate's.
public struct TLSIdentity: Sendable {
    /// Whose identity this is.
    public let party: FederationParty
    /// The federation CA (the only trust root for peers).
    public let authority: Certificate
    /// This party's certificate.
    public let certificate: Certificate

    let nioAuthority: NIOSSLCertificate
    let nioCertificate: NIOSSLCertificate
    let nioPrivateKey: NIOSSLPrivateKey

    /// Loads and checks `party`'s TLS files in `folder` (see the type's contract).
    static func load(folder: String, party: FederationParty, now: Date) throws(CredentialsError) -> TLSIdentity {
        let reader = FolderReader(folder: folder)
        try reader.checkFolder()
        let caFile = FederationParty.caCertificateFile, caPurpose = FederationParty.caCertificatePurpose
        let certFile = party.certificateFile, certPurpose = party.certificatePurpose
        let keyFile = party.privateKeyFile, keyPurpose = party.privateKeyPurpose

        let caPEM = try reader.text(caFile, purpose: caPurpose, secret: false)
        let certificatePEM = try reader.text(certFile, purpose: certPurpose, secret: false)
        let keyPEM = try reader.text(keyFile, purpose: keyPurpose, secret: true)

        let authority = try reader.certificate(caPEM, file: caFile, purpose: caPurpose)
        let certificate = try reader.certificate(certificatePEM, file: certFile, purpose: certPurpose)
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM) } catch {
            throw .malformed(folder: folder, file: keyFile, purpose: keyPurpose,
                             reason: "not a P-256 private key in PEM (PKCS#8 or SEC 1)")
        }

        // The CA: a self-signed CA certificate, valid now.
        func untrusted(_ file: String, _ purpose: String, _ reason: String) -> CredentialsError {
            .untrusted(folder: folder, file: file, purpose: purpose, reason: reason)
        }
        guard case .isCertificateAuthority = try? authority.extensions.basicConstraints,
              authority.issuer == authority.subject,
              authority.publicKey.isValidSignature(authority.signature, for: authority) else {
            throw untrusted(caFile, caPurpose, "it is not a self-signed CA certificate")
        }
        if let problem = validityProblem(authority, now: now) { throw untrusted(caFile, caPurpose, problem) }

        // The party's certificate: from this CA, valid now, this party's.
        guard certificate.issuer == authority.subject,
              authority.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw untrusted(certFile, certPurpose, "it was not issued by the federation CA in \(caFile) "
                            + "(\(FederationCertificates.commonName(of: authority) ?? "no name")); "
                            + "it comes from another provisioning")
        }
        if let problem = validityProblem(certificate, now: now) { throw untrusted(certFile, certPurpose, problem) }
        let role: AcceptedPeer
        switch party {
        case .console: role = .console
        case let .hospital(name): role = .hospital(expectedName: name)
        }
        if let problem = FederationPeerPolicy.problem(with: certificate, accepting: role) {
            throw untrusted(certFile, certPurpose, "it is not \(party)'s certificate: \(problem)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw .keyMismatch(folder: folder, keyFile: keyFile, certificateFile: certFile)
        }

        // The same bytes for NIOSSL (BoringSSL), which parses them again.
        do {
            return TLSIdentity(party: party, authority: authority, certificate: certificate,
                               nioAuthority: try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem),
                               nioCertificate: try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem),
                               nioPrivateKey: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        } catch {
            throw .malformed(folder: folder, file: certFile, purpose: certPurpose,
                             reason: "BoringSSL cannot load it with \(keyFile): \(error)")
        }
    }

    private static func validityProblem(_ certificate: Certificate, now: Date) -> String? {
        if now < certificate.notValidBefore { return "it is not valid before \(certificate.notValidBefore) (check the clock)" }
        if now > certificate.notValidAfter { return "it expired on \(certificate.notValidAfter); provision anew" }
        return nil
    }
}

/// A hospital's credentials, from its folder (`fedtop hospital --certs DIR`): its ``TLSIdentity``
/// and the console's model-signing public key, which every global model must be signed with.
/// Loading follows ``TLSIdentity``'s contract; `model-signing.pub` must be an Ed25519 public key
/// (see ``ModelVerifyingKey``).
public struct HospitalCredentials: Sendable {
    /// The hospital's name (its certificate's common name).
    public let name: String
    /// The folder the credentials were read from.
    public let folder: String
    /// The TLS identity.
    public let identity: TLSIdentity
    /// The console's model-signing public key.
    public let modelVerifyingKey: ModelVerifyingKey

    /// Loads hospital `name`'s folder: `ca.pem`, `<name>.pem`, `<name>.key`, `model-signing.pub`.
    public static func load(folder: String, name: String, now: Date = Date()) throws(CredentialsError) -> HospitalCredentials {
        if let problem = HospitalName.problem(with: name) { throw .invalidName(folder: folder, name: name, reason: problem) }
        let identity = try TLSIdentity.load(folder: folder, party: .hospital(name), now: now)
        let reader = FolderReader(folder: folder)
        let file = FederationParty.modelVerifyingKeyFile, purpose = FederationParty.modelVerifyingKeyPurpose
        let text = try reader.text(file, purpose: purpose, secret: false)
        let key: ModelVerifyingKey
        do { key = try ModelVerifyingKey(pemRepresentation: text) } catch {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: error.reason)
        }
        return HospitalCredentials(name: name, folder: folder, identity: identity, modelVerifyingKey: key)
    }
}

/// The console's credentials, from its folder: its ``TLSIdentity`` and the model-signing private
/// key. Loading follows ``TLSIdentity``'s contract; `model-signing.key` must be private (mode 0600
/// or narrower) and an Ed25519 private key (see ``ModelSigningKey``).
public struct ConsoleCredentials: Sendable {
    /// The folder the credentials were read from.
    public let folder: String
    /// The TLS identity.
    public let identity: TLSIdentity
    /// The key the console signs global models with.
    public let modelSigningKey: ModelSigningKey

    /// Loads the console's folder: `ca.pem`, `console.pem`, `console.key`, `model-signing.key`.
    public static func load(folder: String, now: Date = Date()) throws(CredentialsError) -> ConsoleCredentials {
        let identity = try TLSIdentity.load(folder: folder, party: .console, now: now)
        let reader = FolderReader(folder: folder)
        let file = FederationParty.modelSigningKeyFile, purpose = FederationParty.modelSigningKeyPurpose
        let text = try reader.text(file, purpose: purpose, secret: true)
        let key: ModelSigningKey
        do { key = try ModelSigningKey(pemRepresentation: text) } catch {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: error.reason)
        }
        return ConsoleCredentials(folder: folder, identity: identity, modelSigningKey: key)
    }
}

/// Reads the files of one party's folder, each failure a ``CredentialsError`` naming the file.
struct FolderReader {
    let folder: String

    func checkFolder() throws(CredentialsError) {
        guard POSIXFile.exists(folder) else { throw .notAFolder(folder: folder, reason: "there is no such folder") }
        guard POSIXFile.isDirectory(folder) else { throw .notAFolder(folder: folder, reason: "it is not a folder") }
    }

    /// The text of `file`; a `secret` file may not be readable by group or others.
    func text(_ file: String, purpose: String, secret: Bool) throws(CredentialsError) -> String {
        // A credentials file is a few kilobytes; a larger file is not one.
        let read: (bytes: [UInt8], mode: UInt32)
        do { read = try POSIXFile.readWithMode(FederationCertificates.path(folder, file), limit: 1 << 20) } catch {
            if error.isMissing { throw .missing(folder: folder, file: file, purpose: purpose) }
            throw .unreadable(folder: folder, file: file, purpose: purpose, reason: error.reason)
        }
        if secret && read.mode & 0o077 != 0 { throw .exposed(folder: folder, file: file, purpose: purpose, mode: read.mode) }
        guard let text = String(validating: read.bytes, as: UTF8.self) else {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: "not text (PEM expected)")
        }
        return text
    }

    /// The one certificate in the PEM `text` of `file`.
    func certificate(_ text: String, file: String, purpose: String) throws(CredentialsError) -> Certificate {
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: text) } catch {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: "not PEM")
        }
        guard !documents.isEmpty else {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: "not PEM (no -----BEGIN CERTIFICATE----- block)")
        }
        guard documents.count == 1, documents[0].discriminator == "CERTIFICATE" else {
            throw .malformed(folder: folder, file: file, purpose: purpose,
                             reason: "expected one PEM CERTIFICATE, found \(documents.map(\.discriminator))")
        }
        do { return try Certificate(pemDocument: documents[0]) } catch {
            throw .malformed(folder: folder, file: file, purpose: purpose, reason: "not an X.509 certificate: \(error)")
        }
    }
}
