import Foundation
import Testing
@testable import Datasets

@Suite("NPYLoader")
struct NPYLoaderTests {
    static let featureTypes = NPYLoader.featureTypes
    static let f4 = [Float](arrayLiteral: 1, -2.5, 3, 0.125, 5, 6)

    @Test("files written by numpy load with the values numpy wrote (f4 + i8, f8 v2.0 + i4, u1 + u1)")
    func numpyInterop() throws {
        let a = try NPYLoader.load(features: FixtureDirectory.numpyFixture("numpy_features_f4"),
                                   labels: FixtureDirectory.numpyFixture("numpy_labels_i8"))
        #expect(a.features.shape == [4, 3])
        #expect(a.features.scalars == (0..<12).map { Float($0) * 0.5 - 1.25 })
        #expect(a.labels == [0, 2, 1, 2])
        #expect(a.classNames == ["0", "1", "2"])
        let b = try NPYLoader.load(features: FixtureDirectory.numpyFixture("numpy_features_f8_v2"),
                                   labels: FixtureDirectory.numpyFixture("numpy_labels_i4"))
        #expect(b.features.scalars == [1.5, -2, 3.25, Float(1e-3)])
        #expect(b.labels == [1, 0])
        let c = try NPYLoader.load(features: FixtureDirectory.numpyFixture("numpy_features_u1"),
                                   labels: FixtureDirectory.numpyFixture("numpy_labels_u1"), scale: 1.0 / 255)
        #expect(c.featureShape == [2, 2])
        #expect(c.features.scalars == [0, 1, Float(16) / 255, Float(128) / 255])
        #expect(c.labels == [3])
    }

    @Test("a file written here round-trips, with given class names")
    func roundTrip() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.npy", npyBytes(descr: "<f4", shape: [3, 2], data: littleEndian(Self.f4)))
        let y = try dir.write("y.npy", npyBytes(descr: "<i8", shape: [3], data: littleEndian([Int64](arrayLiteral: 1, 0, 1))))
        let d = try NPYLoader.load(features: x, labels: y, classNames: ["no", "yes"])
        #expect(d.name == "x")
        #expect(d.features.scalars == Self.f4)
        #expect(d.labels == [1, 0, 1])
        #expect(d.classNames == ["no", "yes"])
    }

    @Test("truncated data is reported at the data's byte offset with both sizes")
    func truncated() throws {
        let bytes = npyBytes(descr: "<f4", shape: [3, 2], data: littleEndian(Self.f4))
        let error = datasetError {
            try NPYLoader.array(in: Array(bytes.dropLast(5)), file: "x.npy", allowed: Self.featureTypes, expected: "")
        }
        #expect(error == .truncated(SourceLocation(file: "x.npy", byteOffset: 128), expectedBytes: 24, foundBytes: 19))
        #expect(error?.description.hasPrefix("x.npy byte 128: file is truncated") == true)
    }

    @Test("a truncated header is reported, not read past")
    func truncatedHeader() {
        let bytes = npyBytes(descr: "<f4", shape: [3, 2], data: [])
        let error = datasetError {
            try NPYLoader.array(in: Array(bytes.prefix(30)), file: "x.npy", allowed: Self.featureTypes, expected: "")
        }
        #expect(error == .truncated(SourceLocation(file: "x.npy", byteOffset: 10), expectedBytes: 118, foundBytes: 20))
    }

    @Test("bad magic is reported at byte 0 with what was found")
    func badMagic() {
        var bytes = npyBytes(descr: "<f4", shape: [1, 1], data: littleEndian([Float(1)]))
        bytes[1] = 0x4D
        let error = datasetError { try NPYLoader.array(in: bytes, file: "x.npy", allowed: Self.featureTypes, expected: "") }
        #expect(error?.location == SourceLocation(file: "x.npy", byteOffset: 0))
        #expect(error?.description.contains("0x93 0x4d 0x55") == true)
    }

    @Test("fortran_order True (from numpy) is rejected at its byte offset with the fix")
    func fortranOrder() throws {
        let url = try FixtureDirectory.numpyFixture("numpy_fortran")
        let error = datasetError {
            try NPYLoader.load(features: url, labels: FixtureDirectory.numpyFixture("numpy_labels_i8"))
        }
        #expect(error?.location == SourceLocation(file: url.path, byteOffset: 44))
        #expect(error?.description.contains("ascontiguousarray") == true)
    }

    @Test("big-endian and object dtypes (from numpy) are rejected with the dtype and a hint")
    func unsupportedDTypes() throws {
        let big = try FixtureDirectory.numpyFixture("numpy_bigendian")
        let bigError = datasetError { try NPYLoader.read(big, allowed: Self.featureTypes, expected: "<f4, <f8 or |u1") }
        #expect(bigError?.location == SourceLocation(file: big.path, byteOffset: 20))
        #expect(bigError?.description.contains("unsupported dtype '>f4' (expected <f4, <f8 or |u1; the data is big-endian") == true)
        let object = try FixtureDirectory.numpyFixture("numpy_object")
        let objectError = datasetError { try NPYLoader.read(object, allowed: Self.featureTypes, expected: "<f4") }
        #expect(objectError?.description.contains("'|O'") == true)
        #expect(objectError?.description.contains("pickled") == true)
    }

    @Test("an unsupported feature dtype reads like the documented message")
    func int64Features() {
        let bytes = npyBytes(descr: "<i8", shape: [1, 1], data: littleEndian([Int64(1)]))
        let error = datasetError {
            try NPYLoader.array(in: bytes, file: "x.npy", allowed: Self.featureTypes, expected: "<f4, <f8 or |u1")
        }
        #expect(error?.description == "x.npy byte 20: unsupported dtype '<i8' (expected <f4, <f8 or |u1)")
    }

    @Test("a bad header dictionary is reported at the offending byte")
    func badHeaderDictionary() {
        var bytes = npyBytes(descr: "<f4", shape: [1, 1], data: littleEndian([Float(1)]))
        bytes[10] = 0x5B  // '[' instead of '{'
        let error = datasetError { try NPYLoader.array(in: bytes, file: "x.npy", allowed: Self.featureTypes, expected: "") }
        #expect(error?.location == SourceLocation(file: "x.npy", byteOffset: 10))
        var noShape = npyBytes(descr: "<f4", shape: [1, 1], data: [])
        let text = Array("{'descr': '<f4', 'fortran_order': False}".utf8)
        for i in 10..<(noShape.count - 1) { noShape[i] = 0x20 }
        noShape.replaceSubrange(10..<(10 + text.count), with: text)
        let missingError = datasetError {
            try NPYLoader.array(in: noShape, file: "x.npy", allowed: Self.featureTypes, expected: "")
        }
        #expect(missingError?.description.contains("missing 'shape'") == true)
    }

    @Test("NaN or infinity in the features names the element, the record and its byte offset")
    func nonFiniteFeature() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.npy", npyBytes(descr: "<f4", shape: [3, 2], data: littleEndian([1, 2, 3, .nan, 5, 6])))
        let y = try dir.write("y.npy", npyBytes(descr: "<i8", shape: [3], data: littleEndian([Int64](arrayLiteral: 0, 1, 0))))
        let error = datasetError { try NPYLoader.load(features: x, labels: y) }
        #expect(error == .nonFiniteElement(SourceLocation(file: x.path, byteOffset: 128 + 3 * 4), index: 3, record: 1, found: "nan"))
    }

    @Test("features and labels with different record counts are rejected naming both files")
    func countMismatch() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.npy", npyBytes(descr: "<f4", shape: [3, 2], data: littleEndian(Self.f4)))
        let y = try dir.write("y.npy", npyBytes(descr: "<i8", shape: [2], data: littleEndian([Int64](arrayLiteral: 0, 1))))
        #expect(datasetError { try NPYLoader.load(features: x, labels: y) }
                == .countMismatch(featuresFile: x.path, featureCount: 3, labelsFile: y.path, labelCount: 2))
    }

    @Test("negative labels and one-dimensional features are rejected")
    func badLabelsAndShapes() throws {
        let dir = try FixtureDirectory()
        let x = try dir.write("x.npy", npyBytes(descr: "<f4", shape: [3, 2], data: littleEndian(Self.f4)))
        let y = try dir.write("y.npy", npyBytes(descr: "<i8", shape: [3], data: littleEndian([Int64](arrayLiteral: 0, -1, 0))))
        #expect(datasetError { try NPYLoader.load(features: x, labels: y) }?.location
                == SourceLocation(file: y.path, byteOffset: 128 + 8))
        let flat = try dir.write("flat.npy", npyBytes(descr: "<f4", shape: [3], data: littleEndian([Float](arrayLiteral: 1, 2, 3))))
        let good = try dir.write("good.npy", npyBytes(descr: "<i8", shape: [3], data: littleEndian([Int64](arrayLiteral: 0, 1, 0))))
        #expect(datasetError { try NPYLoader.load(features: flat, labels: good) }?.description.contains("reshape") == true)
    }

    @Test("trailing bytes after the data are an error, and gzip is recognised")
    func trailingAndCompressed() {
        let bytes = npyBytes(descr: "<f4", shape: [1, 1], data: littleEndian([Float](arrayLiteral: 1, 2)))
        #expect(datasetError { try NPYLoader.array(in: bytes, file: "x.npy", allowed: Self.featureTypes, expected: "") }
                == .trailingBytes(SourceLocation(file: "x.npy", byteOffset: 132), count: 4))
        let gz: [UInt8] = [0x1F, 0x8B, 8, 0]
        #expect(datasetError { try NPYLoader.array(in: gz, file: "x.npy", allowed: Self.featureTypes, expected: "") }?
                .description.contains("gunzip") == true)
    }
}
