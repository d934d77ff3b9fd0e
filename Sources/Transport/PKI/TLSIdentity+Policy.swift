import NIOSSL

extension TLSIdentity {
    /// `configuration` with the federation's TLS policy, the same for the console and the hospitals:
    /// TLS 1.3 only (minimum and maximum), this identity's CA as the only trust root, ALPN `grpc-exp`
    /// and `h2`, no renegotiation. Each side adds only what differs: who presents what and how the
    /// peer is verified (``ConsoleCredentials/clientTLSConfiguration()``,
    /// ``HospitalCredentials/serverTLSConfiguration()``; the peer itself by ``FederationPeerVerifier``).
    func federationPolicy(_ configuration: TLSConfiguration) -> TLSConfiguration {
        var configuration = configuration
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates([nioAuthority])
        configuration.applicationProtocols = ["grpc-exp", "h2"]
        configuration.renegotiationSupport = .none
        return configuration
    }
}
