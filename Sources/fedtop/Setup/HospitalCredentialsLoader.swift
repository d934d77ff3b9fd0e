import ArgumentParser
import Foundation
import Transport

/// `fedtop hospital`'s credentials: its folder from `fedtop certs init`, or none with `--insecure`
/// (loopback only). Missing or unusable certificates are a hard failure that names the file.
struct HospitalCredentialsLoader {
    let credentials: HospitalCredentials

    /// The console's model-signing public key every model must verify with.
    var modelKey: ModelVerifyingKey { credentials.modelVerifyingKey }

    static func load(certs: String?, name: String, insecure: Bool, host: String) throws -> HospitalCredentialsLoader? {
        if insecure {
            guard certs == nil else { throw ValidationError("--insecure runs without certificates; do not give --certs with it") }
            guard HospitalServer.isLoopback(host) else {
                throw ValidationError("--insecure is for loopback demos only; \(host) is not a loopback address (127.0.0.1, ::1, localhost)")
            }
            return nil
        }
        guard let certs else {
            throw ValidationError("no --certs DIR: a hospital needs its folder from `fedtop certs init` (its certificate and key, "
                                  + "the federation's CA, the console's model-signing key); --insecure runs a loopback demo without them")
        }
        do {
            return HospitalCredentialsLoader(credentials: try HospitalCredentials.load(folder: certs, name: name))
        } catch {
            throw ValidationError("--certs \(error)")
        }
    }

    func server(service: HospitalService, host: String, port: Int, log: HospitalLog) throws -> HospitalServer {
        try HospitalServer.secure(service: service, credentials: credentials, host: host, port: port) { reason in
            log.audit("refused", "TLS: \(reason)")
        }
    }
}
