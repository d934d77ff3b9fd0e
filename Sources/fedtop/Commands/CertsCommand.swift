import ArgumentParser
import Foundation
import Transport

/// `fedtop certs …`: the federation's certificates and keys.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Provision a federation's certificates and keys (mutual TLS and model signing).",
        subcommands: [CertsInit.self])
}

/// `fedtop certs init`: a new federation in one folder per party (``FederationCertificates``).
///
/// Exit status: 0 written; 2 a bad name, host or validity, or a party's folder already there
/// (nothing written); 1 a failure while writing (what was written is removed).
struct CertsInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a federation CA, a certificate and key for the console and each hospital, and the console's model-signing key.",
        discussion: """
            Writes DIR/ca (the CA: keep it with whoever provisions), DIR/console and DIR/<hospital>, \
            each holding only what that party needs. Private keys have mode 0600, folders 0700. \
            A hospital's certificate names it, localhost, 127.0.0.1 and ::1, plus every --host given for it.
            """)

    @Option(name: .customLong("out"), help: ArgumentHelp("The folder to write the parties' folders into (created if missing).",
                                                       valueName: "DIR"))
    var output: String

    @Option(help: ArgumentHelp("The hospitals, comma-separated (letters, digits, '.', '_', '-').", valueName: "NAMES"))
    var hospitals: String

    @Option(name: .customLong("host"),
            help: ArgumentHelp("Another address of a hospital for its certificate: an IP address or DNS name (repeatable).",
                               valueName: "HOSPITAL=ADDRESS"))
    var hosts: [String] = []

    @Option(help: "Days the certificates are valid (1 to \(FederationCertificates.maximumValidityDays)).")
    var days: Int = FederationCertificates.defaultValidityDays

    var hospitalNames: [String] { hospitals.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }

    func validate() throws {
        do {
            try FederationCertificates.validate(hospitals: hospitalNames)
            _ = try FederationCertificates.parseHosts(hosts, hospitals: hospitalNames)
        } catch { throw ValidationError(error.description) }
        guard (1...FederationCertificates.maximumValidityDays).contains(days) else {
            throw ValidationError(ProvisioningError.invalidValidity(days).description)
        }
    }

    func run() throws {
        let report: FederationCertificates.Report
        do {
            let names = hospitalNames
            report = try FederationCertificates.provision(
                into: output, hospitals: names, hosts: try FederationCertificates.parseHosts(hosts, hospitals: names),
                validityDays: days)
        } catch {
            switch error {
            case .io, .certificate:
                FileHandle.standardError.write(Data("fedtop: certs init: \(error)\n".utf8))
                throw ExitCode.failure
            default:
                throw ValidationError(error.description)
            }
        }
        print(Self.summary(report), terminator: "")
    }

    /// What was written and where each folder goes.
    static func summary(_ report: FederationCertificates.Report) -> String {
        let day = ISO8601DateFormatter.string(from: report.notValidAfter, timeZone: TimeZone(identifier: "UTC")!,
                                              formatOptions: .withFullDate)
        var text = "fedtop: wrote a new federation in \(report.directory): CA \"\(report.authorityName)\", "
            + "certificates valid until \(day)\n"
        let width = report.folders.map { $0.path.count + 1 }.max() ?? 0
        for folder in report.folders {
            let path = folder.path + "/"
            text += "  " + path + String(repeating: " ", count: width - path.count + 2)
                + folder.files.joined(separator: " ") + "\n"
            let indent = String(repeating: " ", count: width + 4)
            switch folder.party {
            case nil:
                text += indent + "→ keep with whoever provisions, offline; never give it to a party\n"
            case .console:
                text += indent + "→ the console (the machine that runs fedtop run)\n"
            case let .hospital(name)?:
                text += indent + "→ hospital \(name)'s machine: fedtop hospital --name \(name) --certs \(folder.path)\n"
                text += indent + "  \(name).pem names: " + folder.hostNames.map(\.description).joined(separator: ", ") + "\n"
            }
        }
        text += "CA certificate SHA-256: \(report.authorityFingerprint)\n"
        text += "Model-signing key SHA-256: \(report.modelSigningFingerprint)\n"
        text += "Private keys are mode 0600 and folders 0700: copy each folder only to its party, "
            + "keeping the modes (e.g. scp -rp).\n"
        return text
    }
}
