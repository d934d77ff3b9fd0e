import Foundation
import Testing
import TensorCore

@Suite("Model weights as safetensors")
struct ModelWeightsTests {
    func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-weights-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test("save then load restores every parameter bit for bit, with kind, shapes and round in the metadata")
    func roundTrip() throws {
        let model = try ModelZoo.smallCNN(seed: 1)
        let path = temporaryPath("m.safetensors")
        try model.save(to: path, round: 7)
        var other = try ModelZoo.smallCNN(seed: 2)
        #expect(other.parameters != model.parameters)
        let metadata = try other.load(from: path)
        #expect(other.parameters == model.parameters)
        #expect(metadata["fedtop.model"] == "smallcnn" && metadata["fedtop.round"] == "7")
        #expect(metadata["fedtop.input_shape"] == "1,28,28" && metadata["format"] == "pt")
        let file = try SafeTensors(contentsOf: path)
        #expect(file.tensors.map(\.name) == model.parameterSpecs.map(\.name))
    }

    @Test("weights of another kind or shape are refused with the file and the tensor named")
    func mismatches() throws {
        let path = temporaryPath("mlp.safetensors")
        try ModelZoo.mlp(inputShape: [30], classes: 2, seed: 1).save(to: path)
        var cnn = try ModelZoo.smallCNN(seed: 1)
        #expect(throws: ModelError.inFile(path: path, .modelKind(expected: "smallcnn", found: "mlp"))) {
            try cnn.load(from: path)
        }
        var wider = try ModelZoo.mlp(inputShape: [31], classes: 2, seed: 1)
        do {
            try wider.load(from: path)
            Issue.record("a shape mismatch loaded")
        } catch let error as ModelError {
            #expect(error.description.contains(path) && error.description.contains("fc1.weight"))
        }
    }

    @Test("a truncated weights file is an error, never a partial load")
    func truncated() throws {
        let path = temporaryPath("t.safetensors")
        let model = try ModelZoo.mlp(inputShape: [8], classes: 3, seed: 1)
        try model.save(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        var other = try ModelZoo.mlp(inputShape: [8], classes: 3, seed: 2)
        let before = other.parameters
        #expect(throws: SafeTensorsError.self) { try other.load(from: path) }
        #expect(other.parameters == before)
    }
}
