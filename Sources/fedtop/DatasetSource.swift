import Datasets
import Foundation

/// Where a run's records come from: `wdbc`, `digits`, `lesions`, `lesions:COUNT` (the built-in
/// generator and seed, COUNT images), `csv:PATH`,
/// `npy:FEATURES.npy,LABELS.npy` or `idx:IMAGES,LABELS`.
enum DatasetSource {
    static let help = "wdbc | digits | lesions | lesions:COUNT | csv:PATH | npy:FEATURES,LABELS | idx:IMAGES,LABELS"

    /// Loads the dataset `spec` names; errors name the file and what was wrong.
    static func load(_ spec: String) throws -> Dataset {
        if BuiltinDataset.names.contains(spec) { return try BuiltinDataset.named(spec) }
        guard let colon = spec.firstIndex(of: ":") else {
            throw UsageError("unknown dataset '\(spec)' (expected \(help))")
        }
        let kind = String(spec[..<colon]), rest = String(spec[spec.index(after: colon)...])
        let paths = rest.split(separator: ",").map { URL(fileURLWithPath: String($0)) }
        switch (kind, paths.count) {
        case ("csv", 1): return try CSVLoader.load(paths[0])
        case ("npy", 2): return try NPYLoader.load(features: paths[0], labels: paths[1])
        case ("idx", 2): return try IDXLoader.load(images: paths[0], labels: paths[1])
        case ("lesions", _):
            guard let count = Int(rest), (10...1_000_000).contains(count) else {
                throw UsageError("bad dataset '\(spec)': lesions:COUNT needs a COUNT of images from 10 to 1000000")
            }
            return LesionGenerator(seed: BuiltinDataset.lesionsSeed).generate(count: count)
        default: throw UsageError("bad dataset '\(spec)' (expected \(help))")
        }
    }

    /// The model a dataset trains by default: the CNN for images, the MLP otherwise.
    static func defaultModel(for dataset: Dataset) -> String {
        defaultModel(name: dataset.name, featureShape: dataset.featureShape)
    }

    /// The same rule from a description of the data (a remote hospital's, without its records).
    static func defaultModel(name: String, featureShape: [Int]) -> String {
        if name == "lesions" { return "lesioncnn" }
        return featureShape.count == 3 ? "smallcnn" : "mlp"
    }
}

/// A command-line mistake, reported as `fedtop: …` with exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
