import Foundation
@testable import Datasets

/// A fresh temporary directory for one test's fixture files, and writers for the binary formats.
struct FixtureDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedtop-datasets-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` in the directory and returns its URL.
    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    /// Writes `text` to `name` in the directory and returns its URL.
    func write(_ name: String, text: String) throws -> URL {
        try write(name, Array(text.utf8))
    }

    /// The bundled numpy-written fixture `name`.
    static func numpyFixture(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures") else {
            throw DatasetError.missingResource(name: name)
        }
        return url
    }
}

/// An `.npy` file image: a header for `descr` and `shape` padded as numpy pads it (to 128 bytes for
/// the small arrays of these tests, so their data starts at byte 128), then `data`.
func npyBytes(descr: String, shape: [Int], fortran: Bool = false, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(dims)), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = header.utf8.count
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                          : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), 0, 0]
    return bytes + Array(header.utf8) + data
}

/// Little-endian bytes of Float32 values.
func littleEndian(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// Little-endian bytes of Int64 values.
func littleEndian(_ values: [Int64]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// An IDX file image: magic for `type`, big-endian dimensions, then `data` (already big-endian).
func idxBytes(type: UInt8, shape: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for d in shape { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return bytes + data
}

/// The error `body` throws as a ``DatasetError``, or `nil` when it throws none or another error.
func datasetError(_ body: () throws -> Any) -> DatasetError? {
    do {
        _ = try body()
        return nil
    } catch let error as DatasetError {
        return error
    } catch {
        return nil
    }
}
