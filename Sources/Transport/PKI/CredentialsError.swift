/// Why a party's certificate folder (`--certs DIR`) could not be used. Every case names the folder,
/// the file and what the file is for, so that the operator can fix it; a command prints it after
/// its flag, e.g. `fedtop hospital: --certs /x/alice: alice.key (this hospital's private key) is missing`.
///
/// A folder that fails any check is never used in part: there is no fallback to plaintext or to
/// unverified peers.
public enum CredentialsError: Error, Equatable, CustomStringConvertible {
    /// The folder is not there, or is not a folder.
    case notAFolder(folder: String, reason: String)
    /// The hospital's name given with the folder is not a hospital name.
    case invalidName(folder: String, name: String, reason: String)
    /// The file is not in the folder.
    case missing(folder: String, file: String, purpose: String)
    /// The file is there but could not be read (`reason` is the system's).
    case unreadable(folder: String, file: String, purpose: String, reason: String)
    /// A private key that group or others may read (`mode` is its permission bits); refused, as ssh
    /// refuses such a key.
    case exposed(folder: String, file: String, purpose: String, mode: UInt32)
    /// The file is not what it should be: not PEM, not a certificate or key of the expected kind.
    case malformed(folder: String, file: String, purpose: String, reason: String)
    /// The certificate does not chain to the federation CA in the same folder, has expired, or is
    /// not for this party (wrong name or usage); `reason` says which.
    case untrusted(folder: String, file: String, purpose: String, reason: String)
    /// The private key is not the one the certificate was issued for.
    case keyMismatch(folder: String, keyFile: String, certificateFile: String)

    public var description: String {
        switch self {
        case let .notAFolder(folder, reason):
            "\(folder): \(reason); it should be this party's folder from fedtop certs init"
        case let .invalidName(folder, name, reason):
            "\(folder): \"\(name)\" cannot be a hospital's name: it \(reason)"
        case let .missing(folder, file, purpose):
            "\(folder): \(file) (\(purpose)) is missing"
        case let .unreadable(folder, file, purpose, reason):
            "\(folder): \(file) (\(purpose)) cannot be read: \(reason)"
        case let .exposed(folder, file, purpose, mode):
            "\(folder): \(file) (\(purpose)) may be read by group or others (mode \(Self.octal(mode))); "
                + "a private key must be private: chmod 600 \(Self.join(folder, file))"
        case let .malformed(folder, file, purpose, reason):
            "\(folder): \(file) (\(purpose)) is not usable: \(reason)"
        case let .untrusted(folder, file, purpose, reason):
            "\(folder): \(file) (\(purpose)) is refused: \(reason)"
        case let .keyMismatch(folder, keyFile, certificateFile):
            "\(folder): \(keyFile) is not the private key of \(certificateFile); "
                + "they come from different provisionings (fedtop certs init)"
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func join(_ folder: String, _ file: String) -> String {
        folder.hasSuffix("/") ? folder + file : folder + "/" + file
    }
}
