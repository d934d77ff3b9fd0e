import Foundation
import Transport

/// A fresh, empty directory for one test's files (under the system's temporary directory; never
/// in the repository).
func temporaryDirectory(_ label: String = "certs") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// A federation provisioned by ``FederationCertificates`` into a temporary directory.
struct ProvisionedFederation {
    var directory: String
    var report: FederationCertificates.Report

    init(hospitals: [String] = ["alice", "bob"], hosts: [String] = [], validityDays: Int = 30) throws {
        directory = try temporaryDirectory() + "/federation"
        report = try FederationCertificates.provision(
            into: directory, hospitals: hospitals,
            hosts: try FederationCertificates.parseHosts(hosts, hospitals: hospitals), validityDays: validityDays)
    }

    func folder(_ name: String) -> String { directory + "/" + name }
    func file(_ folder: String, _ name: String) -> String { directory + "/" + folder + "/" + name }

    func console() throws -> ConsoleCredentials { try ConsoleCredentials.load(folder: folder("console")) }
    func hospital(_ name: String) throws -> HospitalCredentials { try HospitalCredentials.load(folder: folder(name), name: name) }
}

/// The permission bits of the file at `path`.
func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o7777
}
