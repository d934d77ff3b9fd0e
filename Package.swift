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
        .library(name: "Audit", targets: ["Audit"]),
        .library(name: "RunConfiguration", targets: ["RunConfiguration"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The run file (`fedtop run --config`, `fedtop init`): TOML and YAML.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Remote hospitals: gRPC over HTTP/2 with mutual TLS, the federation's certificates.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // `fedtop serve`: Hummingbird 2 (HTTP/1.1, HTTP/2 over TLS) with handlers generated from the
        // OpenAPI contract (the generated code is committed; the generator is not a dependency), and
        // Prometheus metrics. traits: [] leaves out swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Tests only: a real HTTP/2-over-TLS client against the live server.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // System libraries: OpenBLAS for the matrix products, ncursesw for the console.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcursesW", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),

        // SIMD kernels in C, chosen at run time by the CPU's features (Swift has no per-function
        // target attributes): the Ziggurat's rectangle pass with AVX2 or AVX-512.
        .target(name: "CKernels"),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "Datasets", dependencies: ["TensorCore"],
                resources: [.copy("Resources/wdbc.csv"), .copy("Resources/digits.csv"), .copy("Resources/patients.csv"),
                            .copy("Resources/patients.schema")]),
        .target(name: "Privacy", dependencies: [
            "TensorCore",
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Secure aggregation (SecAgg, SecAgg+): Shamir sharing, key agreement, mask PRG, quantisation,
        // the hospital's and the aggregator's state machines. Needs nothing from Federation, which drives it.
        .target(name: "SecureAggregation", dependencies: [
            "Privacy",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // TensorBoard's event messages are generated once from `Run/TensorBoard/Proto` (committed, like the gRPC code).
        .target(name: "Federation", dependencies: [
            "TensorCore", "Datasets", "Privacy", "SecureAggregation",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Run/TensorBoard/Proto"]),
        .target(name: "Console", dependencies: ["Federation", "Privacy", "CNcursesW"]),
        // `fedtop serve`: the trained model behind a hardened inference API — the verified model,
        // record validation, API keys, rate limits, private answers and their ledgers, the audit log.
        .target(name: "Serving", dependencies: [
            "Federation", "Privacy", "TensorCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The API's contract (`openapi.yaml`) and the Swift types and server stubs generated from it once by
        // swift-openapi-generator 1.14.3 (the command is in the README); regenerate them when the contract changes.
        .target(name: "ServingAPI", dependencies: [
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], exclude: ["openapi.yaml", "openapi-generator-config.yaml"]),
        // The HTTP server of `fedtop serve`: middlewares (identity, errors, admission, authentication, body limit),
        // the generated API's handlers, metrics.
        .target(name: "ServingServer", dependencies: [
            "Serving", "ServingAPI", "Privacy", "Federation",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdHTTP2", package: "hummingbird"),
            .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        // The audit: membership inference, poisoning and evasion attacks on the federation's models,
        // and the report (HTML with inline SVG, Markdown, CSV).
        .target(name: "Audit", dependencies: ["Federation", "Datasets", "Privacy", "TensorCore"]),
        // The `.proto` and its generated code (committed; see README), `HospitalServer`, `RemoteHospital`,
        // TLS and provisioning, model signing.
        .target(name: "Transport", dependencies: [
            "Federation", "TensorCore", "Datasets", "Privacy", "SecureAggregation",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ], exclude: ["Proto"]),
        // A run's options, declared once in a table: the command line, run files (TOML, YAML), run.json,
        // `fedtop init`'s example and the resolved plan of a run.
        .target(name: "RunConfiguration", dependencies: [
            "Federation", "Transport", "Audit", "Datasets", "TensorCore", "Privacy",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The measurements behind `fedtop bench`: the tensor core, DP-SGD, the accountant, noise, utility,
        // engine rounds, secure aggregation and the transport, with the child processes they start.
        // The federations they time are built by the caller (`BenchFederationFactory`): fedtop builds them as `fedtop run` does.
        .target(name: "Benchmarks", dependencies: [
            "CBLAS", "TensorCore", "Datasets", "Privacy", "Federation", "SecureAggregation", "Transport", "Serving",
            // `fedtop bench serve`'s load generator (keep-alive HTTP/1.1 clients).
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "fedtop", dependencies: [
            "Console", "Transport", "Audit", "Benchmarks", "RunConfiguration", "Serving", "ServingServer",
            "TensorCore", "Datasets", "Privacy", "Federation", "SecureAggregation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            // `fedtop audit serve`'s client.
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CKernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SecureAggregationTests", dependencies: ["SecureAggregation", "Privacy"]),
        .testTarget(name: "FederationTests", dependencies: [
            "Federation", "Datasets", "Privacy", "TensorCore", "SecureAggregation",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Federation", "Privacy", "TensorCore"]),
        .testTarget(name: "ServingServerTests", dependencies: [
            "ServingServer", "Serving", "ServingAPI", "Federation", "TensorCore",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Federation", "Datasets", "TensorCore"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Federation", "SecureAggregation"]),
        .testTarget(name: "CNcursesWTests", dependencies: ["CNcursesW"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Federation"], exclude: ["Fixtures"]),
        .testTarget(name: "TransportTests", dependencies: [
            "Transport", "Federation", "TensorCore", "Datasets", "SecureAggregation", "Privacy",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .testTarget(name: "RunConfigurationTests", dependencies: ["RunConfiguration", "Federation", "Audit", "TensorCore"]),
        .testTarget(name: "fedtopTests", dependencies: [
            "fedtop", "RunConfiguration", "Transport", "Federation", "TensorCore",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
        ]),
    ]
)
