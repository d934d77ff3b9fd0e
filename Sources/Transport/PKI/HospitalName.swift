/// The rules for a hospital's name, which is its certificate's common name, a DNS name in its
/// certificate, the stem of its files and the name of its folder.
///
/// Contract: a valid name has 1 to 63 characters (a DNS label's limit) from `A-Z a-z 0-9 . _ -`,
/// starts with a letter or digit (so it is never `.`, `..`, a hidden folder or taken for an option),
/// and is not `console` or `ca` in any case (those are the console's and the CA's folders). Names
/// are compared without regard to case, as DNS names and some file systems compare them.
public enum HospitalName {
    /// The longest name.
    public static let maximumLength = 63

    /// Throws ``ProvisioningError/invalidHospitalName(_:reason:)`` unless `name` follows the rules.
    public static func validate(_ name: String) throws(ProvisioningError) {
        if let reason = problem(with: name) { throw .invalidHospitalName(name, reason: reason) }
    }

    /// What is wrong with `name`, or nil if it is a valid hospital name.
    public static func problem(with name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "is empty" }
        if name.unicodeScalars.count > maximumLength { return "is longer than \(maximumLength) characters" }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "contains \"\(bad)\"; use only letters A-Z a-z, digits, '.', '_' and '-'"
        }
        if !isLetterOrDigit(first) { return "must start with a letter or a digit" }
        let lowered = name.lowercased()
        if lowered == FederationParty.consoleName || lowered == FederationParty.authorityFolderName {
            return "is reserved (the \(lowered == "ca" ? "CA's" : "console's") folder)"
        }
        return nil
    }

    /// Whether two names are the same hospital.
    static func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }

    private static func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    private static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        isLetterOrDigit(s) || s == "." || s == "_" || s == "-"
    }
}
