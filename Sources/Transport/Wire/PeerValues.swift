import Federation
import Privacy

/// The console's range checks on every number a remote hospital sends, applied before any of it
/// reaches arithmetic: a forged count, loss or ε from an authenticated but dishonest (or broken)
/// hospital is refused with a reason for the console's log, never trapped on.
///
/// Contract: each function returns the first problem, in words, or nil. Counts are bounded by what
/// the hospital announced in Hello (training records for an update's sample count, test records for an
/// evaluation's count), and Hello's own counts by ``maxRecords``; losses are finite and ≥ 0; fractions,
/// accuracies and AUCs lie in [0, 1]; ε values are finite and ≥ 0.
enum PeerValues {
    /// More records than any hospital holds (2^40): a Hello count above it is refused.
    static let maxRecords: UInt64 = 1 << 40
    /// Classes a dataset may have.
    static let maxClasses = 100_000
    /// Values in one record's features (2^28, a 16k × 16k image).
    static let maxFeatureValues = 1 << 28
    /// Segments of a ledger history sent in Hello.
    static let maxHistory = 1_000_000

    /// The problems of Hello's dataset description and privacy state, before they are converted.
    static func problem(hello reply: Fedtop_V1_HelloReply) -> String? {
        let d = reply.dataset, p = reply.privacy
        if let problem = HospitalName.problem(with: reply.name) { return "its name: \(problem)" }
        if d.trainRecords < 1 || d.trainRecords > maxRecords { return "training records \(d.trainRecords) outside 1…\(maxRecords)" }
        if d.testRecords > maxRecords { return "test records \(d.testRecords) above \(maxRecords)" }
        if d.classNames.count < 2 || d.classNames.count > maxClasses {
            return "\(d.classNames.count) classes outside 2…\(maxClasses)"
        }
        if !d.classCounts.isEmpty {
            if d.classCounts.count != d.classNames.count { return "\(d.classCounts.count) class counts for \(d.classNames.count) classes" }
            var total: UInt64 = 0
            for c in d.classCounts {
                let (sum, overflow) = total.addingReportingOverflow(c)
                if overflow || sum > d.trainRecords { return "class counts add up to more than its \(d.trainRecords) training records" }
                total = sum
            }
        }
        if d.featureShape.isEmpty || d.featureShape.count > 8 { return "a record shape of \(d.featureShape.count) dimensions" }
        var values = 1
        for dim in d.featureShape {
            let (product, overflow) = values.multipliedReportingOverflow(by: Int(dim))
            if dim == 0 || overflow || product > maxFeatureValues { return "record shape \(d.featureShape) (empty or above \(maxFeatureValues) values)" }
            values = product
        }
        if p.dpSgd {
            if !(p.epsilonBudget > 0) || !p.epsilonBudget.isFinite { return "ε budget \(p.epsilonBudget) is not a positive number" }
            if !(p.delta > 0 && p.delta < 1) { return "δ \(p.delta) outside (0, 1)" }
        }
        if let problem = epsilon(p.epsilonSpent, "ε spent") { return problem }
        if p.history.count > maxHistory { return "a ledger history of \(p.history.count) segments" }
        return nil
    }

    /// The problems of an update's header, given the round's settings and what Hello announced.
    static func problem(update h: Fedtop_V1_UpdateHeader, settings: RoundSettings, trainRecords: Int) -> String? {
        if h.sampleCount < 1 || h.sampleCount > UInt64(max(1, trainRecords)) {
            return "the update claims \(h.sampleCount) records; the hospital announced \(trainRecords) training records"
        }
        if let problem = loss(h.trainLoss, "training loss") { return problem }
        if !(0...1).contains(h.clippedFraction) { return "clipped fraction \(h.clippedFraction) outside [0, 1]" }
        if let problem = epsilon(h.epsilonSpent, "ε spent") { return problem }
        return nil
    }

    /// Whether a reported spend is the one the round asked for (σ exactly, q and steps by the rule every
    /// hospital trains by): the console's own accounting relies on it.
    static func problem(spend: PrivacySegment, settings: RoundSettings, trainRecords: Int) -> String? {
        guard let asked = settings.samplePrivacy else { return "a DP-SGD spend for a round without DP-SGD" }
        let (q, steps) = DPSGDRound.sampling(records: trainRecords, batchSize: settings.batchSize, localEpochs: settings.localEpochs)
        if spend.noiseMultiplier != asked.noiseMultiplier || spend.steps != steps || abs(spend.sampleRate - q) > 1e-12 {
            return "the reported spend (q \(spend.sampleRate), σ \(spend.noiseMultiplier), \(spend.steps) steps) is not the round's "
                + "(q \(q), σ \(asked.noiseMultiplier), \(steps) steps)"
        }
        return nil
    }

    /// The problems of an evaluation, given the test records Hello announced.
    static func problem(evaluation m: Fedtop_V1_EvaluateReply, testRecords: Int) -> String? {
        if m.count < 1 || m.count > UInt64(max(1, testRecords)) {
            return "the evaluation claims \(m.count) records; the hospital announced \(testRecords) test records"
        }
        if let problem = loss(m.loss, "evaluation loss") { return problem }
        if !(0...1).contains(m.accuracy) { return "accuracy \(m.accuracy) outside [0, 1]" }
        if m.hasAuc, !(0...1).contains(m.auc) { return "AUC \(m.auc) outside [0, 1]" }
        return nil
    }

    /// The problems of a secure-training reply's metrics.
    static func problem(secureReply r: Fedtop_V1_SecureTrainReply, parameters: Int) -> String? {
        if let problem = loss(r.trainLoss, "training loss") { return problem }
        if !(0...1).contains(r.clippedFraction) { return "clipped fraction \(r.clippedFraction) outside [0, 1]" }
        if r.clippedCoordinates > UInt64(max(0, parameters)) {
            return "\(r.clippedCoordinates) clipped coordinates in a model of \(parameters)"
        }
        if let problem = epsilon(r.epsilonSpent, "ε spent") { return problem }
        return nil
    }

    static func loss(_ x: Double, _ what: String) -> String? {
        x.isFinite && x >= 0 ? nil : "\(what) \(x) is not a finite number ≥ 0"
    }

    static func epsilon(_ x: Double, _ what: String) -> String? {
        x.isFinite && x >= 0 ? nil : "\(what) \(x) is not a finite number ≥ 0"
    }
}
