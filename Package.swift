// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "fedtop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fedtop", targets: ["fedtop"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Privacy", targets: ["Privacy"]),
        .library(name: "Federation", targets: ["Federation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The run file (`fedtop run --config`, `fedtop init`): TOML and YAML.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: OpenBLAS for the matrix products, ncursesw for the console.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcursesW", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),

        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "Datasets", dependencies: ["TensorCore"],
                resources: [.copy("Resources/wdbc.csv"), .copy("Resources/digits.csv")]),
        .target(name: "Privacy", dependencies: [
            "TensorCore",
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Federation", dependencies: [
            "TensorCore", "Datasets", "Privacy",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Console", dependencies: ["Federation", "CNcursesW"]),
        .executableTarget(name: "fedtop", dependencies: [
            "CBLAS", "Console",
            "TensorCore", "Datasets", "Privacy", "Federation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Yams", package: "Yams"),
        ]),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FederationTests", dependencies: [
            "Federation", "Datasets", "Privacy", "TensorCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "CNcursesWTests", dependencies: ["CNcursesW"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Federation"], exclude: ["Fixtures"]),
        .testTarget(name: "fedtopTests", dependencies: ["fedtop"]),
    ]
)
