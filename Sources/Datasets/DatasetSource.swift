import Foundation

/// Where a run's records come from, as every command names them: `wdbc`, `digits`, `lesions`,
/// `lesions:COUNT` (the built-in generator and seed, COUNT images), `csv:PATH`,
/// `npy:FEATURES.npy,LABELS.npy` or `idx:IMAGES,LABELS`.
///
/// Contract: ``load(_:)`` returns the dataset or throws a ``DatasetError`` that names the file and
/// what was wrong (or, for a spec that names no source, the forms it could take).
public enum DatasetSource {
    public static let help = "wdbc | digits | lesions | lesions:COUNT | csv:PATH | npy:FEATURES,LABELS | idx:IMAGES,LABELS"

    /// The dataset every command uses when none is named.
    public static let defaultSpec = "lesions"

    /// The records `spec` names, drawn only when asked for where they can be (`lesions`,
    /// `lesions:COUNT`: rendered on demand), else loaded as ``load(_:)`` loads them.
    public static func open(_ spec: String) throws -> any RecordSource {
        if spec == "lesions" { return LesionSource(seed: BuiltinDataset.lesionsSeed, count: BuiltinDataset.lesionsCount) }
        if spec.hasPrefix("lesions:") { return LesionSource(seed: BuiltinDataset.lesionsSeed, count: try lesionCount(spec)) }
        return try load(spec)
    }

    /// Loads the dataset `spec` names.
    public static func load(_ spec: String) throws -> Dataset {
        if BuiltinDataset.names.contains(spec) { return try BuiltinDataset.named(spec) }
        guard let colon = spec.firstIndex(of: ":") else {
            throw DatasetError.invalidOption(name: "unknown dataset", expected: help, found: spec)
        }
        let kind = String(spec[..<colon]), rest = String(spec[spec.index(after: colon)...])
        let paths = rest.split(separator: ",").map { URL(fileURLWithPath: String($0)) }
        switch (kind, paths.count) {
        case ("csv", 1): return try CSVLoader.load(paths[0])
        case ("npy", 2): return try NPYLoader.load(features: paths[0], labels: paths[1])
        case ("idx", 2): return try IDXLoader.load(images: paths[0], labels: paths[1])
        case ("lesions", _): return LesionGenerator(seed: BuiltinDataset.lesionsSeed).generate(count: try lesionCount(spec))
        default: throw DatasetError.invalidOption(name: "bad dataset", expected: help, found: spec)
        }
    }

    /// COUNT of `lesions:COUNT`.
    private static func lesionCount(_ spec: String) throws -> Int {
        guard let count = Int(spec.dropFirst("lesions:".count)), (10...1_000_000).contains(count) else {
            throw DatasetError.invalidOption(name: "lesions:COUNT", expected: "a COUNT of images from 10 to 1000000", found: spec)
        }
        return count
    }

    /// The model a dataset trains by default: the CNN for the lesion images, a small CNN for other
    /// images, the MLP otherwise.
    public static func defaultModel(for dataset: Dataset) -> String {
        defaultModel(name: dataset.name, featureShape: dataset.featureShape)
    }

    /// The model `spec` trains by default when its form alone decides it (`lesions`, `lesions:COUNT`:
    /// `tinycnn`), or nil when it depends on the data's shape.
    public static func modelNamed(byFormOf spec: String) -> String? {
        spec == "lesions" || spec.hasPrefix("lesions:") ? "tinycnn" : nil
    }

    /// The same rule from a description of the data (a remote hospital's, without its records).
    public static func defaultModel(name: String, featureShape: [Int]) -> String {
        if let model = modelNamed(byFormOf: name) { return model }
        return featureShape.count == 3 ? "smallcnn" : "mlp"
    }
}
