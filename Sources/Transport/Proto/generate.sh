#!/usr/bin/env bash
# Regenerates Sources/Transport/Generated from the .proto (run from the repository's top level).
# Needs protoc (Debian: protobuf-compiler) and the two plugins, built once outside the project:
#   swift-protobuf 1.39.0's protoc-gen-swift and grpc-swift-protobuf 2.4.1's protoc-gen-grpc-swift-2
#   (a scratch package depending on both: swift build -c release --product protoc-gen-swift
#    && swift build -c release --product protoc-gen-grpc-swift-2), their folder given as $1.
set -euo pipefail
BIN=${1:?usage: Sources/Transport/Proto/generate.sh PLUGIN_BIN_DIR}
protoc --proto_path=Sources/Transport/Proto \
  --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
  --swift_out=Sources/Transport/Generated --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" \
  --grpc-swift-2_out=Sources/Transport/Generated \
  --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=DropPath \
  Sources/Transport/Proto/fedtop/v1/hospital.proto
