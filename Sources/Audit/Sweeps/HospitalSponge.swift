import Federation
import Foundation
import TensorCore

/// Resource exhaustion against a hospital: crafted Train requests from a console that holds the
/// model-signing key (a compromised or broken console — an outsider is stopped by mutual TLS and the
/// signature before any of this), each sent to a hospital with `fedtop hospital`'s work limits and to
/// the same hospital without them, measured as latency and the hospital's memory growth.
///
/// The requests: a control round; the most local epochs the settings allow; one-record batches (many
/// steps, within the limits: what one request may cost); a header announcing a 20-million-parameter model; more values than
/// the header announced; a model of NaN; a model of subnormal numbers (a sponge: on some CPUs each
/// subnormal multiply costs a microcode assist); a federated-dropout mask naming 100,000 units;
/// an unsigned model. Sponge examples proper (Shumailov et al. 2021, "Sponge Examples: Energy-Latency
/// Attacks on Neural Networks") target the served model and are `fedtop audit serve`'s.
public enum HospitalSponge {
    /// One crafted request.
    public struct Round: Sendable {
        public var name: String
        /// What is sent, in words.
        public var sent: String
        /// The check meant to refuse it (nil: it is within every limit and trains).
        public var defence: String?
        /// The parameter count the header announces (nil: the values' count).
        public var claimedParameters: Int?
        /// The values streamed.
        public var values: Tensor
        /// The model whose shapes the header announces.
        public var announced: Sequential
        public var settings: RoundSettings
        public var signed: Bool
    }

    /// How the hospital answered one request.
    public struct Measurement: Sendable {
        /// nil: it trained; else the gRPC status.
        public var refusal: String?
        public var seconds: Double
        /// Growth of the process's peak resident memory during the request (nil: unreadable).
        public var peakGrowthBytes: Int?

        public init(refusal: String?, seconds: Double, peakGrowthBytes: Int?) {
            self.refusal = refusal
            self.seconds = seconds
            self.peakGrowthBytes = peakGrowthBytes
        }
    }

    /// A hospital to attack, with and without its work limits.
    public protocol Target {
        /// The hospital's model (its parameters are the control's) and training records.
        var model: Sequential { get }
        var trainRecords: Int { get }
        /// The work limits of the limited hospital, in words.
        var limits: String { get }
        func send(_ round: Round, limited: Bool) throws -> Measurement
    }

    /// The crafted requests for `target`'s model.
    public static func rounds(model: Sequential, trainRecords: Int) -> [Round] {
        let dp = RoundSettings.SamplePrivacy(noiseMultiplier: 1, clipNorm: 1)
        let control = RoundSettings(round: 1, localEpochs: 1, batchSize: 64, learningRate: 0.05, momentum: 0, samplePrivacy: dp)
        func with(_ change: (inout RoundSettings) -> Void) -> RoundSettings {
            var s = control
            change(&s)
            return s
        }
        let p = model.parameters
        var rounds: [Round] = [
            Round(name: "control", sent: "a round of 1 local epoch, batch 64, DP-SGD", defence: nil, values: p, announced: model,
                  settings: control, signed: true),
            Round(name: "most local epochs", sent: "\(RoundSettings.Bounds.maxLocalEpochs) local epochs (the settings' own bound)",
                  defence: "work limit: local epochs", values: p, announced: model,
                  settings: with { $0.localEpochs = RoundSettings.Bounds.maxLocalEpochs }, signed: true),
            Round(name: "one-record batches", sent: "batch 1 for 20 local epochs: \(20 * trainRecords) DP-SGD steps, within every limit",
                  defence: nil, values: p, announced: model,
                  settings: with { $0.batchSize = 1; $0.localEpochs = 20 }, signed: true),
            Round(name: "oversized model", sent: "a header announcing 20,000,000 parameters (80 MB), \(p.count) sent",
                  defence: "work limit: parameters, then the model's shapes", claimedParameters: 20_000_000, values: p, announced: model,
                  settings: control, signed: true),
        ]
        let long = Tensor(shape: [1_000_000], repeating: 0.01)
        rounds.append(Round(name: "longer than announced", sent: "a header announcing \(p.count) parameters, then 1,000,000 values (4 MB)",
                            defence: "the announced length", claimedParameters: p.count, values: long, announced: model,
                            settings: control, signed: true))
        rounds.append(Round(name: "NaN model", sent: "every parameter NaN", defence: "finite values",
                            values: Tensor(shape: [p.count], repeating: .nan), announced: model, settings: control, signed: true))
        rounds.append(Round(name: "subnormal model", sent: "every parameter 1e-40 (subnormal)", defence: nil,
                            values: Tensor(shape: [p.count], repeating: 1e-40), announced: model, settings: control, signed: true))
        if let hidden = model.hiddenUnits.first {
            let units = 100_000
            let mask = SubModelMask(keptUnits: [Array(0..<units)] + model.hiddenUnits.dropFirst().map { Array(0..<$0) })
            rounds.append(Round(name: "huge dropout mask", sent: "a federated-dropout mask naming \(units) units of a \(hidden)-unit layer",
                                defence: "the mask against the model", values: p, announced: model,
                                settings: with { $0.subModel = mask }, signed: true))
        }
        rounds.append(Round(name: "unsigned", sent: "the control round without the console's signature", defence: "the model signature",
                            values: p, announced: model, settings: control, signed: false))
        return rounds
    }

    /// Sends every request to the limited hospital, and to the unlimited one where only a work limit
    /// stands in the way (the other defences are always on; the control and the sponge are sent to both).
    public static func section(target: some Target, repeats: Int = 3, log: (String) -> Void) throws -> ReportSection {
        var rows: [[String]] = []
        var control: Double?
        let all = rounds(model: target.model, trainRecords: target.trainRecords)
        // A first round to each hospital, not measured: the first one pays for the hospital's buffers.
        _ = try target.send(all[0], limited: true)
        _ = try target.send(all[0], limited: false)
        /// The median-time answer of `repeats` sends (one request is a few milliseconds: one alone is noise).
        func measure(_ round: Round, limited: Bool) throws -> Measurement {
            let answers = try (0..<repeats).map { _ in try target.send(round, limited: limited) }.sorted { $0.seconds < $1.seconds }
            return answers[answers.count / 2]
        }
        for round in all {
            log("hospital: \(round.name)")
            let limited = try measure(round, limited: true)
            let bothSides = round.defence == nil || round.defence!.hasPrefix("work limit")
            let open = bothSides ? try measure(round, limited: false) : nil
            if round.name == "control" { control = limited.seconds }
            func cells(_ m: Measurement?) -> [String] {
                guard let m else { return ["—", "—", "—"] }
                return [m.refusal.map { "refused (\($0))" } ?? "trained", String(format: "%.1f", m.seconds * 1000),
                        m.peakGrowthBytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "?"]
            }
            let verdict: String
            if let defence = round.defence {
                verdict = limited.refusal != nil ? "held (\(defence))" : "NOT HELD: trained"
            } else {
                verdict = control.map { String(format: "within limits, %.1f× the control's time", limited.seconds / max($0, 1e-9)) } ?? "within limits"
            }
            rows.append([round.name, round.sent] + cells(limited) + cells(open) + [verdict])
        }
        return ReportSection(
            title: "Resource exhaustion against a hospital",
            paragraphs: [
                "A console holding the model-signing key (compromised, or broken) sends crafted Train requests to a real hospital "
                    + "(HospitalService over gRPC on loopback, WDBC, the MLP): first with fedtop hospital's work limits (\(target.limits)), "
                    + "then, where only a work limit stands in the way, to the same hospital without them, to show what the limit "
                    + "saves. The other checks (the signature, the announced length and shapes, finite values, the dropout mask "
                    + "against the model) are always on. Each request is sent \(repeats) times and the median-time answer shown; time is "
                    + "from the request's first byte to the answer's last, on a connection already open; memory is the growth of "
                    + "the process's peak resident set during the request (the hospital runs in the audit's process, so it includes "
                    + "the attacker's own buffers: an upper bound on the hospital's).",
                "Sponge inputs to the served model (numbers beyond Float32, subnormals, extreme z-scores, oversized bodies) are "
                    + "in `fedtop audit serve`'s report. On this machine's CPU subnormal arithmetic in OpenBLAS costs no more than "
                    + "normal arithmetic (the subnormal row), so the hospital does not flush them; a CPU that traps on subnormals "
                    + "would show it in that row.",
            ],
            tables: [ReportTable(name: "hospital-exhaustion", caption: "Crafted Train requests against a hospital",
                                 columns: ["request", "sent", "with limits", "ms", "peak MiB", "without work limits", "ms", "peak MiB", "verdict"],
                                 rows: rows)])
    }
}
