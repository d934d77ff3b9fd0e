import Foundation
import Testing
import TensorCore

/// A fresh empty directory under the system temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-safetensors-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("safetensors files")
struct SafeTensorsFileTests {
    static let old = SafeTensors(tensors: [("w", Tensor([1, 2, 3]))], metadata: ["round": "1"])
    static let new = SafeTensors(tensors: [("w", Tensor(shape: [2, 2], scalars: [4, 5, 6, 7])), ("b", Tensor([8]))],
                                 metadata: ["round": "2"])

    @Test("writing over an existing file leaves exactly the new file and no temporary file")
    func atomicReplace() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try Self.old.write(to: path)
        #expect(try SafeTensors(contentsOf: path)["w"] == Tensor([1, 2, 3]))
        try Self.new.write(to: path)
        #expect(FileManager.default.contents(atPath: path).map(Array.init) == (try Self.new.encoded()))
        let reloaded = try SafeTensors(contentsOf: path)
        #expect(reloaded.metadata == ["round": "2"])
        #expect(reloaded["b"] == Tensor([8]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])
    }

    @Test("a write that fails (encoding or rename) leaves the old file intact and no temporary file")
    func failedWriteKeepsOldFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try Self.old.write(to: path)
        let before = FileManager.default.contents(atPath: path)

        let duplicate = SafeTensors(tensors: [("w", Tensor([1])), ("w", Tensor([2]))])
        let encodingError = #expect(throws: SafeTensorsError.self) { try duplicate.write(to: path) }
        #expect(encodingError == .duplicateTensor(source: path, name: "w"))
        #expect(FileManager.default.contents(atPath: path) == before)

        // rename(2) cannot replace a non-empty directory: the temporary file must be cleaned up.
        let occupied = directory + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied + "/inside", withIntermediateDirectories: true)
        let renameError = #expect(throws: SafeTensorsError.self) { try Self.new.write(to: occupied) }
        #expect(renameError?.description.contains(occupied) == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["model.safetensors", "occupied"])
        #expect(FileManager.default.contents(atPath: path) == before)
    }

    @Test("a path with a '.' component is written next to its target and read back")
    func dotComponentPath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/./nested.safetensors"
        try Self.new.write(to: path)
        #expect(try SafeTensors(contentsOf: path)["w"]?.shape == [2, 2])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["nested.safetensors"])
    }

    @Test("I/O failures name the path and the operation")
    func ioErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = directory + "/absent.safetensors"
        let readError = #expect(throws: SafeTensorsError.self) { try SafeTensors(contentsOf: missing) }
        #expect(readError?.description.contains(missing) == true)
        #expect(readError?.description.contains("open for reading") == true)
        let nowhere = directory + "/no/such/dir/model.safetensors"
        let writeError = #expect(throws: SafeTensorsError.self) { try Self.new.write(to: nowhere) }
        #expect(writeError?.description.contains("/no/such/dir/") == true)
    }

    @Test("a corrupt file on disk is reported with its path as the source")
    func corruptFileNamesPath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cut.safetensors"
        let bytes = try Self.new.encoded()
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes.dropLast(2))))
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensors(contentsOf: path) }
        #expect(error?.description.hasPrefix(path + ":") == true)
    }
}
