import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference beside `fedtop bench serve`: the same trained model served by FastAPI + uvicorn with the forward
/// pass in numpy, so that the bench can load both servers alike and put their throughput and latency side by side.
///
/// Contract:
/// - ``start(model:classNames:port:workers:)`` writes the model (its layers as `spec.json`, its parameters as
///   `weights.f32`) and the app to a fresh private folder (mode 0700, an unpredictable name, made by `mkdtemp`),
///   starts `uvicorn` on `127.0.0.1:port` with `workers` worker processes (log level warning, no access log, one
///   BLAS/OpenMP thread per worker), and returns once `GET /healthz` answers 200 from this very server (a per-start
///   token in its `x-fedtop-reference` header), within ``startTimeout`` seconds. It throws ``BenchmarkError``, naming
///   the interpreter and quoting the end of the server's stderr, if the interpreter cannot start, exits first (a
///   missing package, a port in use) or never answers; the server is stopped and the folder removed then.
///   A layer kind the app cannot compute throws before anything is started, naming the layer.
/// - The app serves `GET /healthz` → `{"status":"ok"}` and `POST /v1/predict` with
///   `{"records": [[Double]], "output": "probabilities"|"label"}` (output optional, probabilities by default),
///   a pydantic model that refuses with 422 anything but 1...64 records of exactly the model's feature count of
///   finite numbers within Float32's range (no strings, booleans or nulls; no unknown fields); it answers
///   `{"predictions": [{"class_index", "label", "probabilities"}]}` (probabilities left out with `output: label`),
///   the probabilities a softmax in float64 of the logits with the largest subtracted, as fedtop's `ServedModel`.
///   Handlers are plain `def` (FastAPI runs them in its thread pool), as FastAPI advises for blocking work.
/// - The logits are fedtop's (`Sequential.logits`) to Float32 rounding: numpy in float32, each `Linear` one matmul
///   `x·Wᵀ + b`, each `Conv2d` im2col + one matmul with the PyTorch-layout weight `[Cout, Cin, k, k]` (zero padding,
///   stride), `MaxPool2d` over non-overlapping windows (rounded down), `Flatten` row-major, ReLU, tanh, sigmoid.
/// - ``RunningPythonServer/stop()`` stops the whole process group (uvicorn's workers too) and removes the folder;
///   should this process die without stopping it, the group notices within a second or so, removes the folder
///   and stops itself.
///
/// `spec.json` (format `fedtop-python-serve/1`): `kind`, `input_shape`, `output_shape`, `class_names`,
/// `parameter_count`, `weights_file`, `instance` (the health token) and `layers`, each with `kind` (`linear`,
/// `conv2d`, `maxpool2d`, `flatten`, `relu`, `tanh`, `sigmoid`), `name`, its hyper-parameters (`inputs`/`outputs`;
/// `in_channels`/`out_channels`/`kernel_size`/`stride`/`padding`; `size`) and `tensors`: `name`, `shape` (PyTorch's
/// layout) and `offset`, in scalars, into the weights file — the model's flat parameter vector as little-endian
/// Float32, which is where ``Sequential/parameterRanges`` puts each tensor.
public struct PythonServeReference: Sendable {
    /// The Python interpreter with fastapi, uvicorn and numpy, e.g. a venv's `bin/python`.
    public let python: String

    /// How long ``start(model:classNames:port:workers:)`` waits for the first healthy answer, in seconds.
    public static let startTimeout: Double = 60

    public init(python: String) { self.python = python }

    /// Starts the reference server for `model` (see the type's contract) and returns its handle; stop it with
    /// ``RunningPythonServer/stop()``.
    public func start(model: Sequential, classNames: [String], port: Int, workers: Int) throws -> RunningPythonServer {
        let who = "bench serve: the Python reference (\(python))"
        guard (1...65_535).contains(port) else { throw BenchmarkError("\(who): port \(port) is not in 1...65535") }
        guard workers >= 1 else { throw BenchmarkError("\(who): \(workers) workers; it needs at least one") }
        let classes = model.outputShape.reduce(1, *)
        guard model.outputShape.count == 1, classNames.count == classes else {
            throw BenchmarkError("\(who): \(classNames.count) class names for model \(model.kind)'s output \(model.outputShape)")
        }
        guard model.parameters.isFinite else {
            throw BenchmarkError("\(who): model \(model.kind) has a parameter that is not finite")
        }
        let instance = UUID().uuidString
        let spec = try Self.spec(of: model, classNames: classNames, instance: instance, who: who)

        let folder = try Self.makePrivateFolder(who: who)
        let script = folder + "/" + Self.scriptName, errorsPath = folder + "/stderr.txt"
        let errors: FileHandle
        do {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(spec).write(to: URL(fileURLWithPath: folder + "/spec.json"))
            try Self.littleEndianFloats(model.parameters).write(to: URL(fileURLWithPath: folder + "/" + spec.weightsFile))
            try Data(Self.script.utf8).write(to: URL(fileURLWithPath: script))
            guard FileManager.default.createFile(atPath: errorsPath, contents: nil),
                  let handle = FileHandle(forWritingAtPath: errorsPath) else {
                throw BenchmarkError("cannot create \(errorsPath)")
            }
            errors = handle
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw BenchmarkError("\(who): cannot write the model and the app to \(folder): \(error)")
        }
        defer { try? errors.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        // The script puts itself in its own process group first thing (pgid = its pid), and watches that we live.
        process.arguments = [script, String(port), String(workers), String(getpid())]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[name] = "1" }
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        // Output goes to a file (a pipe nobody reads could fill and block the server).
        process.standardOutput = errors
        process.standardError = errors
        do { try process.run() } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw BenchmarkError("\(who): cannot start it: \(error.localizedDescription)")
        }
        let server = RunningPythonServer(port: port, process: process, folder: folder, errorsPath: errorsPath)

        let deadline = Date(timeIntervalSinceNow: Self.startTimeout)
        while true {
            // Exited first (a missing package, the port in use, a spec it refused)?
            if !process.isRunning {
                process.waitUntilExit()
                let tail = HospitalChild.tail(errorsPath)
                server.stop()
                let hint = tail.contains("No module named") ? " (it needs fastapi, uvicorn and numpy)" : ""
                throw BenchmarkError("\(who) exited with status \(process.terminationStatus) before answering "
                                     + "GET /healthz on 127.0.0.1:\(port)\(hint)" + tail)
            }
            if HealthProbe.answersHealthy(port: port, instance: instance) {
                guard process.isRunning else { continue }  // another server on the port answered; ours has exited
                return server
            }
            if Date() >= deadline {
                let tail = HospitalChild.tail(errorsPath)
                server.stop()
                throw BenchmarkError("\(who) did not answer GET /healthz on 127.0.0.1:\(port) within "
                                     + "\(Int(Self.startTimeout)) s" + tail)
            }
            usleep(100_000)
        }
    }

    static let scriptName = "fedtop_reference_serve.py"

    // MARK: the model as spec.json + weights.f32

    struct Spec: Encodable {
        var format = "fedtop-python-serve/1"
        var kind: String
        var inputShape: [Int]
        var outputShape: [Int]
        var classNames: [String]
        var parameterCount: Int
        var weightsFile = "weights.f32"
        var instance: String
        var layers: [LayerSpec]
    }

    struct LayerSpec: Encodable {
        var kind: String
        var name: String
        var inputs: Int? = nil
        var outputs: Int? = nil
        var inChannels: Int? = nil
        var outChannels: Int? = nil
        var kernelSize: Int? = nil
        var stride: Int? = nil
        var padding: Int? = nil
        var size: Int? = nil
        var tensors: [TensorSpec] = []
    }

    struct TensorSpec: Encodable {
        var name: String
        var shape: [Int]
        /// Index of the first scalar in the weights file.
        var offset: Int
    }

    /// Each layer as the app reads it; throws for a layer kind it has no counterpart for, or a layer whose
    /// parameter tensors are not the ones that kind has (names and shapes in PyTorch's layout).
    static func spec(of model: Sequential, classNames: [String], instance: String, who: String) throws -> Spec {
        var layers: [LayerSpec] = []
        for (l, layer) in model.layers.enumerated() {
            var tensors: [TensorSpec] = []
            var offset = model.parameterRanges[l].lowerBound
            for p in layer.parameterSpecs {
                tensors.append(TensorSpec(name: p.name, shape: p.shape, offset: offset))
                offset += p.count
            }
            var expected: [ParameterSpec] = []
            var entry: LayerSpec
            switch layer {
            case let linear as Linear:
                entry = LayerSpec(kind: "linear", name: linear.name, inputs: linear.inputs, outputs: linear.outputs)
                expected = [ParameterSpec(name: "weight", shape: [linear.outputs, linear.inputs]),
                            ParameterSpec(name: "bias", shape: [linear.outputs])]
            case let conv as Conv2d:
                entry = LayerSpec(kind: "conv2d", name: conv.name, inChannels: conv.inputChannels, outChannels: conv.outputChannels,
                                  kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding)
                expected = [ParameterSpec(name: "weight", shape: [conv.outputChannels, conv.inputChannels, conv.kernelSize, conv.kernelSize]),
                            ParameterSpec(name: "bias", shape: [conv.outputChannels])]
            case let pool as MaxPool2d:
                entry = LayerSpec(kind: "maxpool2d", name: pool.name, size: pool.size)
            case is Flatten:
                entry = LayerSpec(kind: "flatten", name: layer.name)
            case is ReLU:
                entry = LayerSpec(kind: "relu", name: layer.name)
            case is Tanh:
                entry = LayerSpec(kind: "tanh", name: layer.name)
            case is Sigmoid:
                entry = LayerSpec(kind: "sigmoid", name: layer.name)
            default:
                throw BenchmarkError("\(who): cannot compute layer \(layer.name) "
                                     + "(\(type(of: layer))) of model \(model.kind): no numpy counterpart for that layer kind")
            }
            guard layer.parameterSpecs == expected, offset == model.parameterRanges[l].upperBound else {
                throw BenchmarkError("\(who): cannot compute layer \(layer.name) of model \(model.kind): "
                                     + "its parameters \(layer.parameterSpecs.map { "\($0.name) \($0.shape)" }) are not "
                                     + "\(expected.map { "\($0.name) \($0.shape)" })")
            }
            entry.tensors = tensors
            layers.append(entry)
        }
        return Spec(kind: model.kind, inputShape: model.inputShape, outputShape: model.outputShape, classNames: classNames,
                    parameterCount: model.parameterCount, instance: instance, layers: layers)
    }

    /// The flat parameter vector as little-endian Float32.
    static func littleEndianFloats(_ parameters: Tensor) -> Data {
        parameters.withUnsafeBufferPointer { p in
            var data = Data(count: p.count * 4)
            data.withUnsafeMutableBytes { raw in
                for (i, value) in p.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
            return data
        }
    }

    /// A new folder only we can read (mkdtemp: mode 0700, a random name, never an existing path).
    static func makePrivateFolder(who: String, prefix: String = "fedtop-pyserve") throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = ((base.hasSuffix("/") ? base : base + "/") + prefix + "-XXXXXX").utf8CString
        var failure: Int32 = 0
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let path = mkdtemp(buffer.baseAddress!) else { failure = errno; return nil }
            return String(cString: path)
        }
        guard let made else {
            throw BenchmarkError("\(who): cannot create a private folder in \(base): \(String(cString: strerror(failure)))")
        }
        return made
    }

    /// The app (argv: port, workers, the caller's pid); it reads spec.json and the weights from its own folder.
    static let script = #"""
    # fedtop's Python serving reference: the model in spec.json + its weights file (this file's folder) behind
    # FastAPI + uvicorn, the forward pass in numpy (float32, BLAS matmul, convolutions as im2col + one matmul).
    # As a script, `python fedtop_reference_serve.py PORT WORKERS CALLER_PID`, it starts uvicorn on 127.0.0.1:PORT
    # with WORKERS worker processes; uvicorn's workers import it as a module, which loads the model and builds `app`.
    import os, sys
    if __name__ == "__main__":
        # Our own process group, so that the caller stops uvicorn's workers with us; and if the caller
        # (argv[3], its pid) dies without stopping us, the group stops itself and removes its folder.
        import shutil, signal, threading, time
        try:
            os.setpgrp()
        except OSError:
            pass
        _caller = int(sys.argv[3])

        def _watch_caller():
            while os.getppid() == _caller:
                time.sleep(1)
            shutil.rmtree(os.path.dirname(os.path.abspath(__file__)), ignore_errors=True)
            os.killpg(os.getpgrp(), signal.SIGTERM)
        threading.Thread(target=_watch_caller, daemon=True).start()
    for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_v, "1")  # one BLAS thread per worker: the workers share the cores
    import json, math
    from pathlib import Path
    from typing import Annotated, Literal, Optional

    import numpy as np
    from fastapi import FastAPI, Request, Response
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field

    HERE = Path(__file__).resolve().parent
    FLOAT32_MAX = float(np.finfo(np.float32).max)
    MAX_RECORDS = 64


    class SpecError(Exception):
        pass


    def _conv_out(size, kernel, stride, padding):
        return (size + 2 * padding - kernel) // stride + 1


    def _layer(spec, weights, shape):
        # (forward function, per-sample output shape) of one layer of the spec, for the per-sample input `shape`.
        kind, name = spec["kind"], spec.get("name", spec["kind"])
        tensors = {}
        for t in spec.get("tensors", []):
            count = math.prod(t["shape"])
            if t["offset"] < 0 or t["offset"] + count > weights.size:
                raise SpecError(f"layer {name}: tensor {t['name']} lies outside the weights file")
            tensors[t["name"]] = weights[t["offset"]:t["offset"] + count].reshape(t["shape"])

        def need(tensor, expected):
            if tensor not in tensors or list(tensors[tensor].shape) != list(expected):
                raise SpecError(f"layer {name}: tensor {tensor} must have shape {expected}")
            return tensors[tensor]

        if kind == "linear":
            n_in, n_out = spec["inputs"], spec["outputs"]
            if list(shape) != [n_in]:
                raise SpecError(f"layer {name}: input shape {shape}, expected [{n_in}]")
            wt = np.ascontiguousarray(need("weight", [n_out, n_in]).T)  # y = x·Wᵀ + b
            b = need("bias", [n_out]).copy()
            return (lambda x: x @ wt + b), [n_out]
        if kind == "conv2d":
            cin, cout, k = spec["in_channels"], spec["out_channels"], spec["kernel_size"]
            s, p = spec["stride"], spec["padding"]
            if len(shape) != 3 or shape[0] != cin or shape[1] + 2 * p < k or shape[2] + 2 * p < k:
                raise SpecError(f"layer {name}: input shape {shape}, expected [{cin}, H, W] with H, W >= {k - 2 * p}")
            ho, wo = _conv_out(shape[1], k, s, p), _conv_out(shape[2], k, s, p)
            # PyTorch layout [Cout, Cin, kh, kw] flattened to [Cout, K], K in (channel, kernel row, kernel column) order.
            wt = np.ascontiguousarray(need("weight", [cout, cin, k, k]).reshape(cout, cin * k * k).T)
            b = need("bias", [cout]).copy()

            def conv(x):
                n = x.shape[0]
                if p:
                    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
                # windows [B, C, Ho', Wo', k, k] → every stride-th → columns [B·Ho·Wo, C·k·k] (im2col), then one GEMM.
                win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s][:, :, :ho, :wo]
                cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, cin * k * k)
                y = cols @ wt
                y += b
                return np.ascontiguousarray(y.reshape(n, ho, wo, cout).transpose(0, 3, 1, 2))
            return conv, [cout, ho, wo]
        if kind == "maxpool2d":
            k = spec["size"]
            if len(shape) != 3 or shape[1] < k or shape[2] < k:
                raise SpecError(f"layer {name}: input shape {shape}, expected [C, H, W] with H, W >= {k}")
            c, ho, wo = shape[0], shape[1] // k, shape[2] // k

            def pool(x):
                n = x.shape[0]
                return x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k).max(axis=(3, 5))
            return pool, [c, ho, wo]
        if kind == "flatten":
            return (lambda x: x.reshape(x.shape[0], -1)), [math.prod(shape)]
        if kind == "relu":
            return (lambda x: np.maximum(x, np.float32(0))), list(shape)
        if kind == "tanh":
            return np.tanh, list(shape)
        if kind == "sigmoid":
            def sigmoid(x):
                e = np.exp(-np.abs(x))  # stable for either sign
                return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)
            return sigmoid, list(shape)
        raise SpecError(f"layer {name}: unknown layer kind '{kind}'")


    def load_model(folder):
        spec = json.loads((folder / "spec.json").read_text())
        weights = np.fromfile(folder / spec["weights_file"], dtype="<f4")
        if weights.size != spec["parameter_count"]:
            raise SpecError(f"{spec['weights_file']} holds {weights.size} scalars, the spec says {spec['parameter_count']}")
        if not np.isfinite(weights).all():
            raise SpecError("a weight is not finite")
        shape, layers = list(spec["input_shape"]), []
        for layer_spec in spec["layers"]:
            f, shape = _layer(layer_spec, weights, shape)
            layers.append(f)
        if shape != list(spec["output_shape"]) or len(shape) != 1:
            raise SpecError(f"the layers end in shape {shape}, the spec says {spec['output_shape']}")
        if len(spec["class_names"]) != shape[0]:
            raise SpecError(f"{len(spec['class_names'])} class names for {shape[0]} outputs")
        input_shape = list(spec["input_shape"])

        def logits(x):  # x: float32 [B, features]
            x = x.reshape([x.shape[0]] + input_shape)
            for f in layers:
                x = f(x)
            return x
        return spec, logits


    SPEC, LOGITS = load_model(HERE)
    FEATURES = math.prod(SPEC["input_shape"])
    CLASS_NAMES = list(SPEC["class_names"])

    Value = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)]
    Record = Annotated[list[Value], Field(min_length=FEATURES, max_length=FEATURES)]


    class PredictRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        records: Annotated[list[Record], Field(min_length=1, max_length=MAX_RECORDS)]
        output: Literal["probabilities", "label"] = "probabilities"


    class Prediction(BaseModel):
        class_index: int
        label: str
        probabilities: Optional[list[float]] = None


    class PredictResponse(BaseModel):
        predictions: list[Prediction]


    class Health(BaseModel):
        status: Literal["ok"]


    app = FastAPI(title="fedtop python serving reference", docs_url=None, redoc_url=None, openapi_url=None)


    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, error: RequestValidationError):
        # 422 naming where and why, never echoing the values: FastAPI's default handler echoes the input,
        # and an infinite value (1e400 parses as inf) cannot be rendered as JSON (it would answer 500).
        return JSONResponse(status_code=422, content={"detail": [
            {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in error.errors()]})


    @app.get("/healthz", response_model=Health)
    def healthz(response: Response):
        response.headers["x-fedtop-reference"] = SPEC["instance"]
        return {"status": "ok"}


    @app.post("/v1/predict", response_model=PredictResponse, response_model_exclude_none=True)
    def predict(request: PredictRequest):
        x = np.asarray(request.records, dtype=np.float32)
        z = LOGITS(x).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)  # stable softmax in float64, as fedtop's ServedModel
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        labels = request.output == "label"
        return {"predictions": [
            {"class_index": int(c), "label": CLASS_NAMES[c], "probabilities": None if labels else row}
            for c, row in zip(best.tolist(), p.tolist())]}


    if __name__ == "__main__":
        import uvicorn
        uvicorn.run("fedtop_reference_serve:app", app_dir=str(HERE), host="127.0.0.1", port=int(sys.argv[1]),
                    workers=int(sys.argv[2]), log_level="warning", access_log=False)
    """#
}

/// A running ``PythonServeReference`` server: uvicorn's process group on `127.0.0.1:port`.
///
/// Contract: ``stop()`` sends SIGTERM to the whole group (uvicorn's master and its workers), waits up to
/// ten seconds, then SIGKILLs the group; it reaps the interpreter, removes the temporary folder, and is
/// idempotent (the first call does the work, later calls return once it is done). Dropping the last reference
/// stops the server too.
public final class RunningPythonServer: @unchecked Sendable {
    public let port: Int
    /// The interpreter's process id, which is also the server's process-group id.
    public let processIdentifier: Int32
    private let process: Process
    private let folder: String
    private let errorsPath: String
    private let lock = NSLock()
    private var stopped = false

    init(port: Int, process: Process, folder: String, errorsPath: String) {
        self.port = port
        self.process = process
        self.processIdentifier = process.processIdentifier
        self.folder = folder
        self.errorsPath = errorsPath
    }

    deinit { stop() }

    /// Whether uvicorn's master process is still running.
    public var isRunning: Bool { process.isRunning }

    /// The end of the server's stderr (`; its stderr ends: …`, or empty), for an error message while it runs.
    public func stderrTail(lines: Int = 5) -> String { HospitalChild.tail(errorsPath, lines: lines) }

    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        let pid = processIdentifier
        if pid > 0 {
            // The group is the script's own (it calls setpgrp before anything else); should it not be yet, the
            // master alone is signalled (it has no workers then).
            if process.isRunning, kill(-pid, SIGTERM) != 0 { kill(pid, SIGTERM) }
            let deadline = Date(timeIntervalSinceNow: 10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
            process.waitUntilExit()
            // Workers a dead master left behind are still in its group (a group outlives its leader; its id is
            // not reused while it has members).
            kill(-pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// `GET /healthz` over a plain loopback socket (Benchmarks has no HTTP client, and FoundationNetworking would
/// bring libcurl in for one request).
enum HealthProbe {
    /// Whether the server on `127.0.0.1:port` answers 200 with `x-fedtop-reference: instance`; false on any
    /// failure (nothing listening yet, a time-out of two seconds, another server).
    static func answersHealthy(port: Int, instance: String) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, flags) }
        guard sent == request.count else { return false }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let head = text.components(separatedBy: "\r\n\r\n").first else { return false }
        let lines = head.components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " "), status.count >= 2, status[0].hasPrefix("HTTP/1."),
              status[1] == "200" else { return false }
        return lines.dropFirst().contains { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "x-fedtop-reference"
                && parts[1].trimmingCharacters(in: .whitespaces) == instance
        }
    }
}
