import Foundation

/// Writes a run's files from the engine's events, each from its own subscription and thread:
/// `metrics.csv` (a row per round, fsynced), `events.jsonl` (every event; fsynced at round ends),
/// `tb/events.out.tfevents.*` (TensorBoard, ``TensorBoardScalars``; fsynced at round ends) and
/// `audit.jsonl` (see ``AuditLog``; fsynced per entry).
public final class RunRecorder: @unchecked Sendable {
    public let directory: String
    public let audit: AppendOnlyFile
    private var consumers: [EventConsumer] = []
    private let errors = ErrorList()

    public init(directory: String, bus: EventBus) throws(FederationError) {
        self.directory = directory
        let metrics = try AppendOnlyFile(path: directory + "/metrics.csv")
        let events = try AppendOnlyFile(path: directory + "/events.jsonl")
        audit = try AppendOnlyFile(path: directory + "/audit.jsonl")
        if metrics.isEmpty { try metrics.append(MetricsCSV.header) }
        let errors = self.errors, audit = self.audit
        consumers.append(EventConsumer(bus.subscribe(capacity: 64), name: "fedtop.metrics") { e in
            guard case .roundCompleted(let s) = e.kind else { return }
            errors.run { () throws(FederationError) in
                try metrics.append(MetricsCSV.row(s))
                try metrics.sync()
            }
        })
        consumers.append(EventConsumer(bus.subscribe(capacity: 4096), name: "fedtop.events") { e in
            errors.run { () throws(FederationError) in
                try events.append(EventJSON.line(e))
                switch e.kind {
                case .roundCompleted, .roundFailed, .runFinished: try events.sync()
                default: break
                }
            }
        })
        // TensorBoard: one event file per recorder (a resumed run adds a file; TensorBoard reads them all).
        do { try FileManager.default.createDirectory(atPath: directory + "/tb", withIntermediateDirectories: true) } catch {
            throw .runFile(path: directory + "/tb", reason: "cannot create: \(error.localizedDescription)")
        }
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        let tensorboard = try AppendOnlyFile(path: directory + "/tb/events.out.tfevents.\(Int(now)).\(host.isEmpty ? "fedtop" : host)")
        try tensorboard.append(bytes: TensorBoardEvents.header(wallTime: now))
        consumers.append(EventConsumer(bus.subscribe(capacity: 4096), name: "fedtop.tensorboard") { e in
            errors.run { () throws(FederationError) in
                let step = e.round, wall = e.wallTime
                let scalars = TensorBoardScalars.scalars(for: e)
                if !scalars.isEmpty { try tensorboard.append(bytes: TensorBoardEvents.event(scalars: scalars, step: step, wallTime: wall)) }
                if let t = TensorBoardScalars.text(for: e) {
                    try tensorboard.append(bytes: TensorBoardEvents.event(text: t.text, tag: t.tag, step: step, wallTime: wall))
                }
                switch e.kind {
                case .roundCompleted, .runFinished: try tensorboard.sync()
                default: break
                }
            }
        })
        consumers.append(EventConsumer(bus.subscribe(capacity: 64), name: "fedtop.audit") { e in
            guard AuditLog.includes(e) else { return }
            errors.run { () throws(FederationError) in
                try audit.append(EventJSON.line(e))
                try audit.sync()
            }
        })
    }

    /// Waits until every event has been written; returns the write errors met (empty if none).
    public func finish() -> [String] {
        for c in consumers { c.wait() }
        return errors.all
    }
}

/// Events as JSON lines (`events.jsonl`, `--json`).
public enum EventJSON {
    public static func line(_ e: EngineEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(e) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Errors from writer threads, kept for the end of the run.
final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    func run(_ body: () throws(FederationError) -> Void) {
        do { try body() } catch { lock.withLock { if errors.count < 20 { errors.append(error.description) } } }
    }
    var all: [String] { lock.withLock { errors } }
}
