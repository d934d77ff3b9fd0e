import Federation
import Foundation

/// Where a run's rounds spent their time, from its engine events: medians over the rounds after the
/// first (the first has no previous completion to measure its period from).
///
/// Contract: the round period runs from one `roundCompleted` to the next; `training` is the wall
/// time from broadcast until every answer is in; `overhead` is the period less training and the
/// aggregation arithmetic, `other` that less evaluation too; the checkpoint's write latency (hand-over
/// to `checkpointWritten`) is reported apart, as it runs beside the next round. A median over no
/// rounds is NaN.
public struct RoundTimings: Codable, Sendable, Equatable {
    public var period: Double
    public var training: Double
    public var aggregation: Double
    public var evaluation: Double
    public var checkpoint: Double
    public var overhead: Double
    public var other: Double
    /// Rounds measured (completed rounds less the first).
    public var rounds: Int

    public static func measure(_ events: [EngineEvent]) -> RoundTimings {
        var periods: [Double] = [], training: [Double] = [], aggregation: [Double] = []
        var evaluation: [Double] = [], checkpoint: [Double] = [], overhead: [Double] = [], other: [Double] = []
        var lastCompletion: Double?
        var broadcast = 0.0, evaluating = 0.0, trainingWall = 0.0, evaluationWall = 0.0
        var handedOver: [Int: Double] = [:]
        for event in events {
            switch event.kind {
            case .phaseChanged(let phase):
                switch phase {
                case .broadcasting: broadcast = event.time
                case .collecting: trainingWall = event.time - broadcast
                case .evaluating: evaluating = event.time
                case .checkpointing:
                    evaluationWall = event.time - evaluating
                    handedOver[event.round] = event.time
                default: break
                }
            case .checkpointWritten:
                if let t = handedOver[event.round] { checkpoint.append(event.time - t) }
            case .roundCompleted(let summary):
                if let last = lastCompletion {
                    let period = event.time - last
                    periods.append(period)
                    training.append(trainingWall)
                    aggregation.append(summary.aggregationSeconds)
                    evaluation.append(evaluationWall)
                    overhead.append(period - trainingWall - summary.aggregationSeconds)
                    other.append(period - trainingWall - summary.aggregationSeconds - evaluationWall)
                }
                lastCompletion = event.time
            default: break
            }
        }
        return RoundTimings(period: median(periods), training: median(training), aggregation: median(aggregation),
                            evaluation: median(evaluation), checkpoint: median(checkpoint), overhead: median(overhead),
                            other: median(other), rounds: periods.count)
    }

    /// The median (the mean of the middle two for an even count); NaN for none.
    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Median time of each secure-aggregation phase over rounds 2…, from the engine's events: from one
/// phase's status event to the next (key advertisement includes local training), keyed by the
/// phase's name (``SecureAggregationStatus/Stage``'s raw value).
public enum SecurePhaseTimings {
    public static func measure(_ events: [EngineEvent]) -> [String: Double] {
        var times: [String: [Double]] = [:]
        var last: (stage: SecureAggregationStatus.Stage, time: Double)?
        for e in events where e.round >= 2 {
            guard case .secureAggregation(let s) = e.kind else { continue }
            if let last { times[last.stage.rawValue, default: []].append(e.time - last.time) }
            last = s.stage == .done || s.stage == .aborted ? nil : (s.stage, e.time)
        }
        return times.mapValues(RoundTimings.median)
    }
}

/// This process's peak resident set (`VmHWM` in /proc/self/status), in bytes; nil where unreadable.
public enum PeakMemory {
    public static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}
