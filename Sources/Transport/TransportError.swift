/// Why the transport could not do what was asked. Its `description` is for the local log and the
/// operator; what crosses the wire to a peer is generic (see ``HospitalService``).
public struct TransportError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
