import GRPCNIOTransportHTTP2Posix

extension RemoteHospital {
    /// Where a remote hospital is, as given on the command line: `grpcs://[NAME@]HOST:PORT` (or
    /// `grpc://` with `--insecure`, loopback only).
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        /// The hospital's expected name (its certificate's common name), when the operator gave one.
        public var expectedName: String?
        public var insecure: Bool

        public init(host: String, port: Int, expectedName: String? = nil, insecure: Bool = false) {
            self.host = host
            self.port = port
            self.expectedName = expectedName
            self.insecure = insecure
        }

        /// Parses `grpcs://[NAME@]HOST:PORT`, `grpc://…` (insecure), IPv6 hosts in brackets.
        public init(parsing text: String) throws(TransportError) {
            let insecure: Bool
            var rest: Substring
            if text.hasPrefix("grpcs://") {
                insecure = false
                rest = text.dropFirst("grpcs://".count)
            } else if text.hasPrefix("grpc://") {
                insecure = true
                rest = text.dropFirst("grpc://".count)
            } else {
                throw TransportError("'\(text)' is not a hospital address (expected grpcs://[NAME@]HOST:PORT)")
            }
            var name: String?
            if let at = rest.firstIndex(of: "@") {
                name = String(rest[..<at])
                rest = rest[rest.index(after: at)...]
                guard let n = name, !n.isEmpty else { throw TransportError("'\(text)': empty hospital name before @") }
            }
            let (host, port) = try Self.hostAndPort(rest, ports: 1...65_535, in: text)
            self.init(host: host, port: port, expectedName: name, insecure: insecure)
        }

        /// `HOST:PORT` (`[IPv6]:PORT`) with a port in `ports`; errors quote `whole`.
        public static func hostAndPort(_ text: Substring, ports: ClosedRange<Int>,
                                       in whole: String) throws(TransportError) -> (host: String, port: Int) {
            let host: String, portText: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                    throw TransportError("'\(whole)': expected [IPv6]:PORT")
                }
                host = String(text[text.index(after: text.startIndex)..<close])
                portText = text[text.index(close, offsetBy: 2)...]
            } else {
                guard let colon = text.lastIndex(of: ":") else { throw TransportError("'\(whole)': no port (expected HOST:PORT)") }
                host = String(text[..<colon])
                portText = text[text.index(after: colon)...]
                guard !host.contains(":") else { throw TransportError("'\(whole)': write an IPv6 host in brackets, [::1]:PORT") }
            }
            guard !host.isEmpty else { throw TransportError("'\(whole)': no host") }
            guard !host.contains("/"), !host.contains(where: \.isWhitespace) else {
                throw TransportError("'\(whole)': '\(host)' is not a host name or address")
            }
            guard let port = Int(portText), ports.contains(port) else {
                throw TransportError("'\(whole)': port '\(portText)' is not in \(ports.lowerBound)…\(ports.upperBound)")
            }
            return (host, port)
        }

        public var description: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return "\(insecure ? "grpc" : "grpcs")://\(expectedName.map { "\($0)@" } ?? "")\(h):\(port)"
        }

        /// host:port, as the hospital table shows it.
        public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// Plaintext HTTP/2 to a loopback `grpc://` endpoint (`--insecure` demos only).
        public func plaintextTransport(config: HTTP2ClientTransport.Posix.Config) throws -> HTTP2ClientTransport.Posix {
            guard insecure, HospitalServer.isLoopback(host) else {
                throw TransportError("\(self): plaintext is for grpc:// on loopback only")
            }
            return try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext, config: config)
        }

        var target: any ResolvableTarget {
            if host.contains(":") { return .ipv6(address: host, port: port) }
            if host.split(separator: ".").count == 4, host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
                return .ipv4(address: host, port: port)
            }
            return ResolvableTargets.DNS.dns(host: host, port: port)
        }
    }
}
