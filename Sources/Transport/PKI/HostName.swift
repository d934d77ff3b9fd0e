#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A name by which a hospital is reached, as it goes into the subject alternative names of the
/// hospital's certificate: an IP address (v4 or v6) or a DNS name.
///
/// Contract: ``init(parsing:)`` takes `10.0.0.5`, `::1`, `[fe80::1]` (brackets dropped) or a DNS
/// name of labels `A-Z a-z 0-9 -` (1 to 63 characters, not starting or ending with `-`, at most
/// 253 characters in all; no wildcards). Anything else is refused with the reason.
public enum HostName: Sendable, Hashable, CustomStringConvertible {
    /// An IP address: its 4 or 16 bytes in network order, and the text it was parsed from.
    case ipAddress(bytes: [UInt8], text: String)
    /// A DNS name.
    case dns(String)

    /// Parses `text`; throws a reason (a sentence fragment) if it is neither an IP address nor a DNS name.
    public init(parsing text: String) throws(HostNameError) {
        var address = text
        if address.hasPrefix("[") && address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        if let bytes = Self.ipBytes(address) {
            self = .ipAddress(bytes: bytes, text: address)
            return
        }
        if let reason = Self.dnsProblem(address) { throw HostNameError(reason: reason) }
        self = .dns(address)
    }

    public var description: String {
        switch self {
        case let .ipAddress(_, text): "IP \(text)"
        case let .dns(name): "DNS \(name)"
        }
    }

    /// The IPv4 or IPv6 address in `text`, or nil if it is not one.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Whether `text` is an IP address literal (v4 or v6, without brackets).
    public static func isIPAddress(_ text: String) -> Bool { ipBytes(text) != nil }

    private static func dnsProblem(_ name: String) -> String? {
        if name.isEmpty { return "the address is empty" }
        if name.utf8.count > 253 { return "a DNS name has at most 253 characters" }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "\(name) has an empty label (two dots, or a dot at an end)" }
            if label.utf8.count > 63 { return "\(name) has a label longer than 63 characters" }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "\(name): a label cannot start or end with '-'" }
            let allowed = label.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
            if !allowed { return "\(name) is neither an IP address nor a DNS name (letters, digits, '-' and '.')" }
        }
        return nil
    }
}

/// Why a text is not a ``HostName``.
public struct HostNameError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
