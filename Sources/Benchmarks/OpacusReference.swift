import Datasets
import Foundation

/// The reference beside `fedtop bench utility`: centralised DP-SGD in PyTorch with Opacus, by the
/// recipe of the project's anchors (MLP with 64 tanh units, 40 epochs, expected batch 64, lr 0.5 with DP
/// and 0.1 without, clip 1.0, Poisson sampling, σ from Opacus's RDP accountant, features standardised
/// on the seeded 80/20 training split), run on the very records fedtop trains on, so that both columns
/// of the table come from one invocation on one machine.
///
/// Contract: ``accuracies(dataset:epsilon:seeds:)`` runs the recipe for seeds `0..<seeds` in the given
/// interpreter (which must import torch and opacus) and returns one test accuracy per seed; a missing
/// interpreter, a missing package or an unreadable answer throws ``BenchmarkError`` naming the interpreter.
public struct OpacusReference: Sendable {
    /// The Python interpreter with torch and opacus, e.g. a venv's `bin/python`.
    public let python: String

    public init(python: String) { self.python = python }

    /// Test accuracies of the recipe on `dataset` at target ε (nil: no DP), one per seed.
    public func accuracies(dataset: Dataset, epsilon: Double?, seeds: Int) throws -> [Double] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-opacus-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("reference.py"), data = folder.appendingPathComponent("data.csv")
        try Data(Self.script.utf8).write(to: script)
        try Data(Self.csv(dataset).utf8).write(to: data)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, data.path, epsilon.map { String($0) } ?? "none", String(seeds)]
        // Errors go to a file (a pipe nobody reads could fill and block the interpreter).
        let errorsFile = folder.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        let output = Pipe(), errors = try FileHandle(forWritingTo: errorsFile)
        defer { try? errors.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw BenchmarkError("--opacus \(python): cannot start it: \(error.localizedDescription)") }
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let said = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
            let tail = said.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            throw BenchmarkError("--opacus \(python): the reference failed (exit \(process.terminationStatus)): \(tail)")
        }
        let text = String(decoding: answer, as: UTF8.self)
        guard let line = text.split(whereSeparator: \.isNewline).last(where: { $0.hasPrefix("[") }),
              let values = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Double], values.count == seeds else {
            throw BenchmarkError("--opacus \(python): expected \(seeds) accuracies as a JSON list, got \(text.prefix(200))")
        }
        return values
    }

    /// The records as CSV: the features, then the label, one record per line.
    static func csv(_ d: Dataset) -> String {
        let width = d.features.itemCount
        var lines: [String] = []
        lines.reserveCapacity(d.count)
        d.features.withUnsafeBufferPointer { x in
            for row in 0..<d.count {
                var fields = (0..<width).map { String(x[row * width + $0]) }
                fields.append(String(d.labels[row]))
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The recipe (argv: data.csv, ε or "none", seeds); prints the accuracies as one JSON list.
    static let script = #"""
    import sys, json, warnings
    warnings.filterwarnings("ignore")
    import numpy as np, torch, torch.nn as nn
    from opacus import PrivacyEngine
    torch.set_num_threads(2)
    a = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
    X0, y0 = a[:, :-1].astype(np.float32), a[:, -1].astype(int)
    eps = None if sys.argv[2] == "none" else float(sys.argv[2])

    def run(seed, epochs=40, batch=64):
        rng = np.random.default_rng(seed); p = rng.permutation(len(X0)); X, y = X0[p], y0[p]
        n = int(0.8 * len(X)); Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
        mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6; Xtr = (Xtr - mu) / sd; Xte = (Xte - mu) / sd
        torch.manual_seed(seed)
        k = int(y0.max()) + 1
        model = nn.Sequential(nn.Linear(X.shape[1], 64), nn.Tanh(), nn.Linear(64, k))
        opt = torch.optim.SGD(model.parameters(), lr=0.5 if eps else 0.1, momentum=0.0)
        dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(Xtr), torch.tensor(ytr)),
                                         batch_size=batch, shuffle=True)
        if eps:
            pe = PrivacyEngine(accountant="rdp")
            model, opt, dl = pe.make_private_with_epsilon(module=model, optimizer=opt, data_loader=dl, target_epsilon=eps,
                                                          target_delta=1e-5, epochs=epochs, max_grad_norm=1.0)
        lossf = nn.CrossEntropyLoss()
        for _ in range(epochs):
            for xb, yb in dl:
                if len(xb) == 0: continue
                opt.zero_grad(); lossf(model(xb), yb).backward(); opt.step()
        with torch.no_grad():
            return float((model(torch.tensor(Xte)).argmax(1).numpy() == yte).mean())

    print(json.dumps([run(s) for s in range(int(sys.argv[3]))]), flush=True)
    """#
}
