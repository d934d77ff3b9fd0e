import Foundation

/// The datasets that ship with fedtop, by name: two small real medical/vision sets from the package's
/// resources and the synthetic dermoscopy-like `lesions`.
///
/// Contract and provenance:
/// - `wdbc`: Breast Cancer Wisconsin (Diagnostic), 569 fine-needle aspirates, 30 real features of cell
///   nuclei, classes `malignant` (0, 212 records) and `benign` (1, 357); feature shape `[30]`, raw
///   (unstandardised) values. Wolberg, Street & Mangasarian (1995), UCI Machine Learning Repository,
///   CC BY 4.0; the copy shipped with scikit-learn (BSD-3).
/// - `digits`: optical recognition of handwritten digits, 1,797 8×8 images; the 64 pixels (integers
///   0...16 in the file) are divided by 16 so features lie in [0, 1]; feature shape `[64]`; classes
///   "0"..."9". Alpaydin & Kaynak (1998), UCI Machine Learning Repository, CC BY 4.0.
/// - `lesions`: ``LesionGenerator`` with seed ``lesionsSeed``, ``lesionsCount`` images.
/// The resource files are checked as they are read: a damaged copy throws ``DatasetError`` with the
/// line and column, never a crash.
public enum BuiltinDataset {
    /// The names ``named(_:)`` accepts.
    public static let names = ["wdbc", "digits", "lesions"]
    /// The seed of the built-in `lesions` (the year HAM10000 was published).
    public static let lesionsSeed: UInt64 = 2018
    /// The number of images of the built-in `lesions`: as many as HAM10000 has (10,015).
    public static let lesionsCount = 10015

    /// The built-in dataset called `name` (`wdbc`, `digits` or `lesions`, case-insensitive).
    /// - Throws: ``DatasetError/unknownDataset(name:available:)``, or a resource error.
    public static func named(_ name: String) throws -> Dataset {
        switch name.lowercased() {
        case "wdbc": return try wdbc()
        case "digits": return try digits()
        case "lesions": return LesionGenerator(seed: lesionsSeed).generate(count: lesionsCount)
        default: throw DatasetError.unknownDataset(name: name, available: names)
        }
    }

    /// Breast Cancer Wisconsin (Diagnostic): 569 records, feature shape `[30]`, malignant 0 / benign 1.
    public static func wdbc() throws -> Dataset {
        let file = "wdbc.csv"
        let bytes = try resource(file)
        let firstLineEnd = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let header = String(decoding: bytes[..<firstLineEnd], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard header.count == 4, let rows = Int(header[0]), let columns = Int(header[1]) else {
            throw DatasetError.malformed(SourceLocation(file: file, line: 1),
                                         expected: "the header 'rows,features,class0,class1'",
                                         found: "'\(header.joined(separator: ","))'")
        }
        let rest = bytes[min(firstLineEnd + 1, bytes.endIndex)...]
        let data = try CSVLoader.parse(rest, file: file, name: "wdbc", header: .absent, labelColumn: .last,
                                       separator: ",", classNames: Array(header[2...]), firstLine: 2)
        guard data.count == rows, data.featureShape == [columns], columns == wdbcFeatureNames.count else {
            throw DatasetError.malformed(SourceLocation(file: file, line: 1),
                                         expected: "\(rows) records of \(columns) features as the header declares",
                                         found: "\(data.count) records of \(data.featureShape) features")
        }
        return Dataset(name: data.name, features: data.features, labels: data.labels, classNames: data.classNames,
                       featureNames: wdbcFeatureNames)
    }

    /// WDBC's features in the file's column order (the UCI description's: the mean, standard error and
    /// worst value of ten measurements of the cell nuclei; scikit-learn's `load_breast_cancer` names).
    public static let wdbcFeatureNames: [String] = ["mean", "error", "worst"].flatMap { kind in
        ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry",
         "fractal dimension"].map { kind == "error" ? "\($0) error" : "\(kind) \($0)" }
    }

    /// Handwritten digits: 1,797 records, feature shape `[64]` with pixels scaled by 1/16 into [0, 1].
    public static func digits() throws -> Dataset {
        let file = "digits.csv"
        let raw = try CSVLoader.parse(try resource(file)[...], file: file, name: "digits", header: .absent,
                                      labelColumn: .last, separator: ",",
                                      classNames: (0...9).map(String.init))
        guard raw.featureShape == [64] else {
            throw DatasetError.raggedRow(SourceLocation(file: file, line: 1), expected: 65,
                                         found: raw.featureShape.reduce(1, *) + 1)
        }
        var features = raw.features
        features.withUnsafeMutableBufferPointer { x in
            for i in x.indices { x[i] /= 16 }
        }
        return Dataset(name: "digits", features: features, labels: raw.labels, classNames: raw.classNames)
    }

    /// The bytes of a resource file of the Datasets bundle.
    static func resource(_ file: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: file)
        guard let found = Bundle.module.url(forResource: url.deletingPathExtension().lastPathComponent,
                                            withExtension: url.pathExtension) else {
            throw DatasetError.missingResource(name: file)
        }
        do {
            return [UInt8](try Data(contentsOf: found))
        } catch {
            throw DatasetError.unreadable(file: file, reason: error.localizedDescription)
        }
    }
}
