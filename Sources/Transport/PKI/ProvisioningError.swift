/// Why `fedtop certs init` (``FederationCertificates``) refused or failed. Nothing is left half
/// written: on any failure the folders this run created are removed again.
public enum ProvisioningError: Error, Equatable, CustomStringConvertible {
    /// No hospital was named.
    case noHospitals
    /// A hospital name that cannot be used (`reason` says why; see ``HospitalName/validate(_:)``).
    case invalidHospitalName(String, reason: String)
    /// The same hospital named twice (names are compared without regard to case).
    case duplicateHospital(String)
    /// A `--host NAME=ADDRESS` that is not of that form or whose address is neither an IP address
    /// nor a DNS name.
    case invalidHost(String, reason: String)
    /// A `--host` for a hospital not in the list.
    case hostForUnknownHospital(String, hospital: String)
    /// A validity period out of range (days).
    case invalidValidity(Int)
    /// A party's folder is already there; provisioning never replaces keys.
    case folderExists(String)
    /// A file or folder could not be written (`reason` is the system's).
    case io(path: String, operation: String, reason: String)
    /// swift-certificates or swift-crypto could not make a certificate or key.
    case certificate(String)

    public var description: String {
        switch self {
        case .noHospitals:
            "no hospitals given; name them with --hospitals alice,bob,carol"
        case let .invalidHospitalName(name, reason):
            "hospital name \"\(name)\" \(reason)"
        case let .duplicateHospital(name):
            "hospital \(name) is named twice in --hospitals (names are compared without regard to case)"
        case let .invalidHost(spec, reason):
            "--host \(spec): \(reason)"
        case let .hostForUnknownHospital(spec, hospital):
            "--host \(spec): \(hospital) is not one of the --hospitals"
        case let .invalidValidity(days):
            "--days \(days): a certificate's validity must be 1 to \(FederationCertificates.maximumValidityDays) days"
        case let .folderExists(path):
            "\(path) already exists; provisioning never replaces keys or certificates "
                + "(remove it, or choose another --out)"
        case let .io(path, operation, reason):
            "\(path): \(operation) failed: \(reason)"
        case let .certificate(reason):
            "could not make a certificate: \(reason)"
        }
    }
}
