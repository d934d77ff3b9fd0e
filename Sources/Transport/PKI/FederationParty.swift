/// A party of a federation, as its certificate names it: the console (common name `console`,
/// extended key usage clientAuth) or a hospital (common name = the hospital's name, extended key
/// usage serverAuth).
///
/// Also the layout of a party's folder, as ``FederationCertificates`` writes it and
/// ``PartyCredentials`` reads it (each party gets only its own folder, like NVIDIA FLARE's startup kits):
///
/// ```
/// ca/          ca.pem  ca.key                                   kept by whoever provisions
/// console/     ca.pem  console.pem  console.key  model-signing.key
/// <hospital>/  ca.pem  <hospital>.pem  <hospital>.key  model-signing.pub
/// ```
///
/// Certificates are PEM (`CERTIFICATE`); TLS keys are P-256 PKCS#8 PEM (`PRIVATE KEY`); the
/// model-signing keys are Ed25519 (see ``ModelSigningKey``).
public enum FederationParty: Sendable, Hashable, CustomStringConvertible {
    /// The console, the only TLS client of the hospitals.
    case console
    /// A hospital, a TLS server, by name (valid by ``HospitalName/validate(_:)``).
    case hospital(String)

    /// The common name in the party's certificate and the stem of its file names.
    public var name: String {
        switch self {
        case .console: Self.consoleName
        case let .hospital(name): name
        }
    }

    public var description: String {
        switch self {
        case .console: "the console"
        case let .hospital(name): "hospital \(name)"
        }
    }

    /// The console's common name, also the name of its folder.
    public static let consoleName = "console"
    /// The folder holding the CA's certificate and private key.
    public static let authorityFolderName = "ca"

    // MARK: - File names

    /// The federation CA's certificate, in every folder.
    public static let caCertificateFile = "ca.pem"
    /// The federation CA's private key, only in `ca/`.
    public static let caKeyFile = "ca.key"
    /// The console's Ed25519 model-signing private key, only in `console/`.
    public static let modelSigningKeyFile = "model-signing.key"
    /// The console's Ed25519 model-signing public key, in each hospital's folder.
    public static let modelVerifyingKeyFile = "model-signing.pub"

    /// This party's certificate file: `<name>.pem`.
    public var certificateFile: String { name + ".pem" }
    /// This party's TLS private key file: `<name>.key`.
    public var privateKeyFile: String { name + ".key" }

    // MARK: - What each file is for (in error messages)

    var certificatePurpose: String {
        switch self {
        case .console: "the console's certificate"
        case .hospital: "this hospital's certificate"
        }
    }

    var privateKeyPurpose: String {
        switch self {
        case .console: "the console's private key"
        case .hospital: "this hospital's private key"
        }
    }

    static let caCertificatePurpose = "the federation's CA certificate"
    static let modelSigningKeyPurpose = "the console's model-signing private key"
    static let modelVerifyingKeyPurpose = "the console's model-signing public key"
}
