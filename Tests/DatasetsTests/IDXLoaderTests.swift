import Foundation
import Testing
@testable import Datasets

@Suite("IDXLoader")
struct IDXLoaderTests {
    /// Two 2×3 u8 images and their labels.
    static let pixels: [UInt8] = [0, 255, 128, 1, 2, 3, 10, 20, 30, 40, 50, 60]
    static let images = idxBytes(type: 0x08, shape: [2, 2, 3], data: pixels)
    static let labels = idxBytes(type: 0x08, shape: [2], data: [7, 3])

    @Test("u8 images and labels round-trip, keeping the file's image shape, scaled as asked")
    func roundTripBytes() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("train-images-idx3-ubyte", Self.images)
        let y = try dir.write("train-labels-idx1-ubyte", Self.labels)
        let d = try IDXLoader.load(images: x, labels: y, scale: 1.0 / 255)
        #expect(d.featureShape == [2, 3])
        #expect(d.features.scalars == Self.pixels.map { Float($0) * (1 / 255 as Float) })
        #expect(d.labels == [7, 3])
        #expect(d.classNames.count == 8)
    }

    @Test("big-endian f32 images and i32 labels round-trip")
    func roundTripFloats() throws {
        let values: [Float] = [1.5, -2, 0.25, 8]
        let data = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
        let dir = try FixtureDirectory()
        let x = try dir.write("x.idx", idxBytes(type: 0x0D, shape: [2, 2], data: data))
        let y = try dir.write("y.idx", idxBytes(type: 0x0C, shape: [2], data: [0, 0, 0, 1, 0, 0, 0, 0]))
        let d = try IDXLoader.load(images: x, labels: y)
        #expect(d.features.scalars == values)
        #expect(d.labels == [1, 0])
    }

    @Test("truncated images are reported at the data's byte offset, never silently cut")
    func truncated() {
        let error = datasetError { try IDXLoader.array(in: Array(Self.images.dropLast(1)), file: "x.idx") }
        #expect(error == .truncated(SourceLocation(file: "x.idx", byteOffset: 16), expectedBytes: 12, foundBytes: 11))
        #expect(error?.description.hasPrefix("x.idx byte 16: file is truncated") == true)
        let shortHeader = datasetError { try IDXLoader.array(in: Array(Self.images.prefix(9)), file: "x.idx") }
        #expect(shortHeader == .truncated(SourceLocation(file: "x.idx", byteOffset: 4), expectedBytes: 12, foundBytes: 5))
    }

    @Test("image and label counts must match")
    func countMismatch() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.idx", Self.images)
        let y = try dir.write("y.idx", idxBytes(type: 0x08, shape: [3], data: [1, 2, 3]))
        let error = datasetError { try IDXLoader.load(images: x, labels: y) }
        #expect(error == .countMismatch(featuresFile: x.path, featureCount: 2, labelsFile: y.path, labelCount: 3))
        #expect(error?.description.contains("2 records") == true && error?.description.contains("3 labels") == true)
    }

    @Test("bad magic, unknown type codes and gzip are reported at their byte")
    func badMagicAndType() {
        var bytes = Self.images
        bytes[0] = 8
        #expect(datasetError { try IDXLoader.array(in: bytes, file: "x.idx") }?.location
                == SourceLocation(file: "x.idx", byteOffset: 0))
        bytes = Self.images
        bytes[2] = 0x0A
        let typeError = datasetError { try IDXLoader.array(in: bytes, file: "x.idx") }
        #expect(typeError?.description == "x.idx byte 2: unsupported dtype '0x0a' (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)")
        #expect(datasetError { try IDXLoader.array(in: [0x1F, 0x8B, 8, 0, 0], file: "x.gz") }?
                .description.contains("gunzip") == true)
    }

    @Test("float labels and trailing bytes are rejected")
    func floatLabelsAndTrailing() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.idx", Self.images)
        let y = try dir.write("y.idx", idxBytes(type: 0x0D, shape: [2], data: [0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(datasetError { try IDXLoader.load(images: x, labels: y) }?.location
                == SourceLocation(file: y.path, byteOffset: 2))
        #expect(datasetError { try IDXLoader.array(in: Self.labels + [9], file: "y.idx") }
                == .trailingBytes(SourceLocation(file: "y.idx", byteOffset: 10), count: 1))
    }
}
