import Crypto
import Foundation
import TensorCore
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Provisioning of a federation (`fedtop certs init`): a CA, a certificate and key for every party,
/// the console's model-signing key, written as one folder per party (see ``FederationParty`` for
/// the layout and ``FederationCA`` for what the certificates hold).
///
/// Contract of ``provision(into:hospitals:hosts:validityDays:now:)``:
/// - Everything is checked before anything is written: the hospital names
///   (``HospitalName/validate(_:)``, unique without regard to case), the hosts (each for a listed
///   hospital), the validity (1 to ``maximumValidityDays`` days) and that no party's folder exists
///   yet (``ProvisioningError/folderExists(_:)``: keys are never replaced).
/// - The output folder is created (mode 0700) if it is missing; its parent must exist.
/// - Party folders are created with mode 0700 and private keys with mode 0600 (set when the file is
///   created, never changed after; a umask can only narrow them), certificates and the public
///   model-signing key with 0644. Files are never replaced (`O_EXCL`); each file and each folder
///   is flushed (fsync) before this returns.
/// - On any failure, the files and folders this call created are removed again.
public enum FederationCertificates {
    /// The validity when none is given.
    public static let defaultValidityDays = 365
    /// The longest validity accepted (ten years).
    public static let maximumValidityDays = 3650

    /// One folder written, and what it is for.
    public struct PartyFolder: Sendable, Equatable {
        /// The party, or nil for the CA's folder.
        public var party: FederationParty?
        /// The folder's path.
        public var path: String
        /// The file names written in it, in order.
        public var files: [String]
        /// The subject alternative names of a hospital's certificate (empty otherwise).
        public var hostNames: [HostName]
    }

    /// What ``provision(into:hospitals:hosts:validityDays:now:)`` wrote.
    public struct Report: Sendable {
        /// The output folder.
        public var directory: String
        /// The CA's subject common name.
        public var authorityName: String
        /// Hex SHA-256 of the CA certificate's DER bytes (what `openssl x509 -fingerprint -sha256` shows).
        public var authorityFingerprint: String
        /// When every certificate expires.
        public var notValidAfter: Date
        /// The CA's folder, then the console's, then each hospital's in the order given.
        public var folders: [PartyFolder]
        /// Hex SHA-256 of the raw model-signing public key (see ``ModelVerifyingKey/fingerprint``).
        public var modelSigningFingerprint: String
    }

    /// Parses `--host NAME=ADDRESS` options into each hospital's extra names, keyed by the hospital's
    /// name as given in `hospitals` (matched without regard to case).
    public static func parseHosts(_ specs: [String], hospitals: [String]) throws(ProvisioningError) -> [String: [HostName]] {
        var hosts: [String: [HostName]] = [:]
        for spec in specs {
            guard let equals = spec.firstIndex(of: "=") else {
                throw .invalidHost(spec, reason: "expected HOSPITAL=ADDRESS, e.g. alice=10.0.0.5 or bob=bob.example.org")
            }
            let hospital = String(spec[..<equals])
            let address = String(spec[spec.index(after: equals)...])
            guard let name = hospitals.first(where: { HospitalName.same($0, hospital) }) else {
                throw .hostForUnknownHospital(spec, hospital: hospital)
            }
            do { hosts[name, default: []].append(try HostName(parsing: address)) } catch {
                throw .invalidHost(spec, reason: error.reason)
            }
        }
        return hosts
    }

    /// Checks the hospitals' names: at least one, each valid, none twice.
    public static func validate(hospitals: [String]) throws(ProvisioningError) {
        guard !hospitals.isEmpty else { throw .noHospitals }
        var seen: Set<String> = []
        for name in hospitals {
            try HospitalName.validate(name)
            guard seen.insert(name.lowercased()).inserted else { throw .duplicateHospital(name) }
        }
    }

    /// Writes a new federation into `directory` (see the type's contract).
    public static func provision(into directory: String, hospitals: [String], hosts: [String: [HostName]] = [:],
                                 validityDays: Int = defaultValidityDays,
                                 now: Date = Date()) throws(ProvisioningError) -> Report {
        try validate(hospitals: hospitals)
        for name in hosts.keys where !hospitals.contains(name) {
            throw .hostForUnknownHospital("\(name)=…", hospital: name)
        }
        guard (1...maximumValidityDays).contains(validityDays) else { throw .invalidValidity(validityDays) }

        let root = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let folderNames = [FederationParty.authorityFolderName, FederationParty.consoleName] + hospitals
        if POSIXFile.exists(root) {
            guard POSIXFile.isDirectory(root) else {
                throw .io(path: root, operation: "use as the output folder", reason: "it is not a folder")
            }
            for name in folderNames where POSIXFile.exists(path(root, name)) {
                throw .folderExists(path(root, name))
            }
        }

        // Every key and certificate is made before anything is written.
        let ca = try FederationCA.create(validityDays: validityDays, now: now)
        let signingKey = ModelSigningKey()
        var contents: [(folder: String, party: FederationParty?, files: [(String, String, mode_t)], names: [HostName])] = []
        contents.append((FederationParty.authorityFolderName, nil, [
            (FederationParty.caCertificateFile, try pem(ca.certificate), 0o644),
            (FederationParty.caKeyFile, ca.privateKeyPEM, 0o600),
        ], []))
        let caPEM = try pem(ca.certificate)
        for party in [FederationParty.console] + hospitals.map(FederationParty.hospital) {
            let key = P256.Signing.PrivateKey()
            var names: [HostName] = []
            if case let .hospital(name) = party { names = FederationCA.hospitalNames(name, extra: hosts[name] ?? []) }
            let certificate = try ca.issue(for: party, key: key.publicKey, hostNames: names, now: now)
            var files: [(String, String, mode_t)] = [
                (FederationParty.caCertificateFile, caPEM, 0o644),
                (party.certificateFile, try pem(certificate), 0o644),
                (party.privateKeyFile, key.pemRepresentation + "\n", 0o600),
            ]
            switch party {
            case .console: files.append((FederationParty.modelSigningKeyFile, signingKey.pemRepresentation, 0o600))
            case .hospital: files.append((FederationParty.modelVerifyingKeyFile, signingKey.verifyingKey.pemRepresentation, 0o644))
            }
            contents.append((party.name, party, files, names))
        }

        var createdFiles: [String] = []
        var createdFolders: [String] = []
        do {
            if !POSIXFile.exists(root) {
                try Self.makeFolder(root)
                createdFolders.append(root)
            }
            var folders: [PartyFolder] = []
            for entry in contents {
                let folder = path(root, entry.folder)
                try Self.makeFolder(folder)
                createdFolders.append(folder)
                for (name, text, mode) in entry.files {
                    let file = path(folder, name)
                    try Self.createFile(file, bytes: Array(text.utf8), mode: mode)
                    createdFiles.append(file)
                }
                try Self.io(try POSIXFile.syncDirectory(folder))
                folders.append(PartyFolder(party: entry.party, path: folder, files: entry.files.map(\.0),
                                           hostNames: entry.names))
            }
            try Self.io(try POSIXFile.syncDirectory(root))
            if createdFolders.first == root { try Self.io(try POSIXFile.syncDirectory(path(root, ".."))) }
            return Report(directory: root, authorityName: commonName(of: ca.certificate) ?? "",
                          authorityFingerprint: try fingerprint(ca.certificate), notValidAfter: ca.certificate.notValidAfter,
                          folders: folders, modelSigningFingerprint: signingKey.verifyingKey.fingerprint)
        } catch {
            // A clean-up after an error already reported: files, then folders deepest first; errors ignored.
            for file in createdFiles.reversed() { _ = unlink(file) }
            for folder in createdFolders.reversed() { _ = rmdir(folder) }
            throw error
        }
    }

    /// `body`'s file steps (``POSIXFile``), a failure as ``ProvisioningError/io(path:operation:reason:)``.
    static func io<T>(_ body: @autoclosure () throws(POSIXFileError) -> T) throws(ProvisioningError) -> T {
        do { return try body() } catch { throw .io(path: error.path, operation: error.operation, reason: error.reason) }
    }

    /// A folder created 0700 (less the umask); ``ProvisioningError/folderExists(_:)`` if anything is there.
    static func makeFolder(_ path: String) throws(ProvisioningError) {
        do { try POSIXFile.makeDirectory(path, mode: 0o700) } catch {
            if error.code == EEXIST { throw .folderExists(path) }
            throw .io(path: error.path, operation: error.operation, reason: error.reason)
        }
    }

    /// A new file with `bytes` and permission bits `mode` (less the umask), flushed; never replaces
    /// anything. Created in place: no temporary copy of a private key, and no hard link needed
    /// (credentials are often written to removable media).
    static func createFile(_ path: String, bytes: [UInt8], mode: mode_t) throws(ProvisioningError) {
        guard try io(try POSIXFile.createExclusive(bytes, at: path, mode: mode)) else {
            throw .io(path: path, operation: "create", reason: "a file is already there")
        }
    }

    /// The single common name in a certificate's subject, or nil if it has none or several.
    public static func commonName(of certificate: Certificate) -> String? {
        let names = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }
        guard names.count == 1 else { return nil }
        return String(names[0].value)
    }

    static func pem(_ certificate: Certificate) throws(ProvisioningError) -> String {
        do { return try certificate.serializeAsPEM().pemString + "\n" } catch {
            throw .certificate("could not encode a certificate: \(error)")
        }
    }

    static func fingerprint(_ certificate: Certificate) throws(ProvisioningError) -> String {
        var serializer = DER.Serializer()
        do { try serializer.serialize(certificate) } catch {
            throw .certificate("could not encode a certificate: \(error)")
        }
        return Hex.encode(SHA256.hash(data: serializer.serializedBytes))
    }

    static func path(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
