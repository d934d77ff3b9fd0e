import Foundation

/// The report's sections, built from a sweep's measurements.
enum AuditSections {
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(format: "%g", x)
    }

    static func f3(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.3f", $0) : "∞" } ?? "—" }

    static func epsilonLabel(_ s: AuditTrial.Setting) -> String { s.epsilon.map(number) ?? "∞" }

    /// Privacy–utility frontier: accuracy and membership inference against ε.
    static func frontier(_ outcomes: [AuditTrial.Outcome], plan: AuditSweepPlan) -> ReportSection {
        func mia(_ o: AuditTrial.Outcome, _ attack: String, _ target: String = "global") -> MembershipInferenceResult? {
            o.membership.first { $0.attack == attack && $0.target == target }
        }
        let rows = outcomes.map { o -> [String] in
            let lt = mia(o, LossThresholdAttack.name), lira = mia(o, LikelihoodRatioAttack.name)
            let local = o.membership.first { $0.target.hasSuffix("local") && $0.attack == LossThresholdAttack.name }
            let localLiRA = o.membership.first { $0.target.hasSuffix("local") && $0.attack == LikelihoodRatioAttack.name }
            return [epsilonLabel(o.setting), f3(o.sigma), f3(o.epsilonSpent), f3(o.accuracy), f3(lt?.auc), f3(lira?.auc),
                    f3(lira?.tprAt1Percent), f3(lira?.tprAtTenthPercent), f3(local?.auc), f3(localLiRA?.auc), "\(lt?.roc.members ?? 0)"]
        }
        let table = ReportTable(
            name: "frontier", caption: "Accuracy on the central hold-out and membership inference against each hospital's ε",
            columns: ["ε", "σ", "ε spent", "accuracy", "loss-threshold AUC", "LiRA AUC", "LiRA TPR @ 1% FPR", "LiRA TPR @ 0.1% FPR",
                      "local model AUC (loss)", "local model AUC (LiRA)", "members attacked"],
            rows: rows)
        let xs = outcomes.enumerated().map { i, o in o.setting.epsilon ?? (2 * (outcomes.compactMap(\.setting.epsilon).max() ?? 8)) }
        func series(_ label: String, _ value: (AuditTrial.Outcome) -> Double?) -> ChartSeries {
            ChartSeries(label: label, points: zip(xs, outcomes).compactMap { x, o in value(o).map { ChartPoint(x: x, y: $0) } })
        }
        let curve = ReportChart(
            name: "frontier-chart", title: "Accuracy and attack AUC against ε (∞ drawn at the right edge)", xLabel: "ε (log)",
            yLabel: "accuracy / AUC", xScale: .log, yRange: 0...1,
            series: [series("accuracy", { $0.accuracy }), series("LiRA AUC", { mia($0, LikelihoodRatioAttack.name)?.auc }),
                     series("loss-threshold AUC", { mia($0, LossThresholdAttack.name)?.auc })])
        let roc = ReportChart(
            name: "frontier-roc", title: "LiRA ROC on log axes, one curve per ε (chance is the diagonal)",
            xLabel: "false-positive rate", yLabel: "true-positive rate", xScale: .log, yScale: .log,
            xRange: 1e-3...1, yRange: 1e-3...1, diagonal: true,
            series: outcomes.compactMap { o in
                (mia(o, LikelihoodRatioAttack.name) ?? mia(o, LossThresholdAttack.name)).map {
                    ChartSeries(label: "ε=\(epsilonLabel(o.setting))", points: $0.roc.thinned())
                }
            })
        let nonPrivate = outcomes.first { $0.setting.epsilon == nil }
        let strict = outcomes.filter { ($0.setting.epsilon ?? .infinity) <= 1 }
        var findings: [String] = []
        if let np = nonPrivate, let a = mia(np, LikelihoodRatioAttack.name) ?? mia(np, LossThresholdAttack.name) {
            findings.append(String(format: "Without DP the attack reaches AUC %.3f (TPR %.3f at 0.1%% FPR) at accuracy %.3f.",
                                   a.auc, a.tprAtTenthPercent, np.accuracy))
        }
        for o in strict {
            if let a = mia(o, LikelihoodRatioAttack.name) ?? mia(o, LossThresholdAttack.name) {
                findings.append(String(format: "At ε = %@ the attack reaches AUC %.3f (TPR %.3f at 0.1%% FPR) at accuracy %.3f.",
                                       epsilonLabel(o.setting), a.auc, a.tprAtTenthPercent, o.accuracy))
            }
        }
        return ReportSection(
            title: "Privacy–utility frontier",
            paragraphs: ["Every hospital runs DP-SGD at the given ε for its own records (σ calibrated to the planned rounds); ∞ is "
                         + "training without DP. An AUC of 0.5 means the attacker learns nothing about who was in the training data; "
                         + "the true-positive rate at a 0.1 % false-positive rate is how many members it can name with near certainty."]
                + findings,
            tables: [table], charts: [curve, roc])
    }

    /// Poisoning budget: accuracy and backdoor success per defence and number of malicious hospitals.
    static func poisoning(_ outcomes: [AuditTrial.Outcome], plan: AuditSweepPlan) -> [ReportSection] {
        let defences = plan.defences
        func outcome(_ d: String, _ attack: AuditPoisoning, _ m: Int) -> AuditTrial.Outcome? {
            outcomes.first { o in
                (o.setting.clientDP != nil ? "client-dp" : o.setting.strategy) == d && o.setting.malicious == m
                    && (m == 0 || o.setting.attack == attack)
            }
        }
        var sections: [ReportSection] = []
        for attack in plan.attacks {
            var rows: [[String]] = []
            for d in defences {
                for m in plan.malicious {
                    guard let o = outcome(d, attack, m) else { continue }
                    rows.append([d, "\(m) of \(plan.base.hospitals)", f3(o.accuracy), attack == .backdoor ? f3(o.attackSuccess) : "—",
                                 o.federationEpsilon.map { f3($0) } ?? "—"])
                }
            }
            let accuracy = ReportChart(
                name: "poisoning-\(attack.rawValue)-accuracy", title: "Accuracy under \(attack == .flip ? "label flipping" : "the backdoor") by defence",
                xLabel: "defence", yLabel: "accuracy", kind: .bars(categories: defences), yRange: 0...1,
                series: plan.malicious.map { m in
                    ChartSeries(label: "\(m) malicious", points: defences.enumerated().compactMap { i, d in
                        outcome(d, attack, m).map { ChartPoint(x: Double(i), y: $0.accuracy) }
                    })
                })
            var charts = [accuracy]
            if attack == .backdoor {
                charts.append(ReportChart(
                    name: "poisoning-backdoor-success", title: "Backdoor success rate by defence (share of triggered records sent to class 0)",
                    xLabel: "defence", yLabel: "attack success rate", kind: .bars(categories: defences), yRange: 0...1,
                    series: plan.malicious.map { m in
                        ChartSeries(label: "\(m) malicious", points: defences.enumerated().compactMap { i, d in
                            outcome(d, attack, m).flatMap { o in o.attackSuccess.map { ChartPoint(x: Double(i), y: $0) } }
                        })
                    }))
            }
            var findings: [String] = []
            if let clean = outcome("fedavg", attack, 0), let bad = outcome("fedavg", attack, 1) {
                findings.append(String(format: "FedAvg: accuracy %.3f clean, %.3f with one malicious hospital%@.", clean.accuracy, bad.accuracy,
                                       attack == .backdoor ? String(format: " (backdoor success %.3f)", bad.attackSuccess ?? 0) : ""))
            }
            for d in defences where d != "fedavg" {
                if let clean = outcome(d, attack, 0), let bad = outcome(d, attack, 1) {
                    findings.append(String(format: "%@: %.3f clean, %.3f with one malicious%@.", d, clean.accuracy, bad.accuracy,
                                           attack == .backdoor ? String(format: " (success %.3f)", bad.attackSuccess ?? 0) : ""))
                }
            }
            let what = attack == .flip
                ? "Malicious hospitals flip every label (y → classes − 1 − y) and train honestly on that."
                : "Malicious hospitals stamp a bright square in the image's corner on half their records, relabel them class 0, "
                    + "and scale their update by the number of hospitals (model replacement, Bagdasaryan et al. 2020). "
                    + "Success is the share of triggered hold-out records of other classes that the global model puts in class 0; "
                    + "for the clean run it is the trigger's effect alone."
            sections.append(ReportSection(
                title: "Poisoning: \(attack == .flip ? "label flipping" : "backdoor")",
                paragraphs: [what, "client-dp is DP-FedAvg: every update clipped to S = \(number(plan.clientDP.clip)) and noise z = "
                             + "\(number(plan.clientDP.noise)) on the sum (its ε, in the last column, is large: a defence setting, not a privacy promise)."]
                    + findings,
                tables: [ReportTable(name: "poisoning-\(attack.rawValue)", caption: "Accuracy\(attack == .backdoor ? " and backdoor success" : "") per defence",
                                     columns: ["defence", "malicious", "accuracy", "backdoor success", "federation ε"], rows: rows)],
                charts: charts))
        }
        return sections
    }

    /// Defence ablation: the full stack, then each defence removed.
    static func ablation(_ outcomes: [AuditTrial.Outcome], plan: AuditSweepPlan) -> ReportSection {
        let rows = outcomes.map { o -> [String] in
            let s = o.setting
            let lt = o.membership.first { $0.attack == LossThresholdAttack.name && $0.target == "global" }
            return [s.label.replacingOccurrences(of: "ablation ", with: ""), s.epsilon.map { "ε \(number($0))" } ?? "off", s.strategy,
                    s.maxUpdateNorm.map(number) ?? "off", f3(o.accuracy), f3(o.attackSuccess), f3(lt?.auc)]
        }
        let names = outcomes.map { $0.setting.label.replacingOccurrences(of: "ablation ", with: "") }
        return ReportSection(
            title: "Defence ablation",
            paragraphs: ["One hospital of \(plan.base.hospitals) runs the backdoor with model replacement. The full stack is DP-SGD "
                         + "at ε = \(number(plan.ablationEpsilon)) in every hospital, the 0.2-trimmed mean, and rejection of updates whose norm exceeds "
                         + "\(number(plan.maxUpdateNorm)); each row removes one."],
            tables: [ReportTable(name: "ablation", caption: "Accuracy, backdoor success and membership inference with one defence removed",
                                 columns: ["configuration", "DP-SGD", "aggregation", "norm rejection", "accuracy", "backdoor success",
                                           "loss-threshold AUC"], rows: rows)],
            charts: [ReportChart(name: "ablation-chart", title: "Accuracy and backdoor success with one defence removed",
                                 xLabel: "configuration", yLabel: "rate", kind: .bars(categories: names), yRange: 0...1,
                                 series: [ChartSeries(label: "accuracy", points: outcomes.enumerated().map { ChartPoint(x: Double($0), y: $1.accuracy) }),
                                          ChartSeries(label: "backdoor success", points: outcomes.enumerated().compactMap { i, o in
                                              o.attackSuccess.map { ChartPoint(x: Double(i), y: $0) } })])])
    }
}
