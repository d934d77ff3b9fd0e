import RunConfiguration
import ArgumentParser
import Audit
import Federation
import Foundation
import Privacy

/// `fedtop audit`: attack the federation and measure what the defences buy. `--run DIR` audits a
/// finished run; `fedtop audit sweep` trains federations across ε, malicious hospitals, defences and
/// attack strengths. Both write `report.html`, `report.md` and the CSVs behind every chart.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Attack a finished run (--run DIR) or sweep privacy and robustness settings (audit sweep); write an HTML/Markdown/CSV report.",
        subcommands: [AuditRunCommand.self, AuditSweepCommand.self, AuditServeCommand.self], defaultSubcommand: AuditRunCommand.self)
}

/// `fedtop audit [run] --run DIR`: the attacks against a finished run.
struct AuditRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Audit a finished run: membership inference and evasion on its last signed checkpoint.")

    @Option(name: .customLong("run"), help: "A finished run's directory to audit (membership inference and evasion on its last checkpoint).")
    var runDirectory: String?
    @Option(help: "Where to write the report (default: DIR/audit).") var out: String?
    @Option(help: "Shadow models for the likelihood-ratio attack (0: loss-threshold only).") var shadows = 8
    @Option(help: "Members (and as many non-members) attacked at most.") var targets = 500
    @Option(help: "Perturbation sizes for FGSM/PGD, in standard deviations of each feature.") var perturbations = "0,0.05,0.1,0.2,0.3,0.5"

    func validate() throws {
        guard shadows >= 0, shadows != 1 else { throw ValidationError("--shadows must be 0 or at least 2, got \(shadows)") }
        guard targets >= 10 else { throw ValidationError("--targets must be at least 10, got \(targets)") }
        _ = try AuditSweepCommand.numbers(perturbations, option: "--perturbations", allowInfinity: false)
    }

    func run() throws {
        do { try audit() } catch let error as UsageError { throw ValidationError(error.description) }
    }

    private func audit() throws {
        guard let directory = runDirectory else {
            throw UsageError("give --run DIR (a finished run) or use `fedtop audit sweep` (see fedtop audit --help)")
        }
        let report = try finishedRun(directory).report(log: AuditSweepCommand.progress)
        let destination = out ?? directory + "/audit"
        let written = try ReportWriter.write(report, to: destination)
        print("fedtop audit: report in \(destination)/report.html (\(written.count) files)")
    }

    /// The run in `directory` as the audit needs it: its options from `run.json`, its records laid out
    /// again (the same seed, partition and hold-out), its last verified checkpoint.
    private func finishedRun(_ directory: String) throws -> FinishedRunAudit {
        try Self.finishedRun(directory, shadows: shadows, targets: targets,
                             perturbations: try AuditSweepCommand.numbers(perturbations, option: "--perturbations", allowInfinity: false),
                             command: "fedtop audit --run \(directory) --shadows \(shadows) --targets \(targets)")
    }

    static func finishedRun(_ directory: String, shadows: Int, targets: Int, perturbations: [Double], command: String) throws -> FinishedRunAudit {
        var options = try FederationOptions.parse([])
        options.resume = directory
        let plan = try options.resolved()
        guard plan.hospitals > 0 else {
            throw UsageError("--run \(directory): the run had no local hospitals; remote hospitals' records never left them, so there is no one to audit here")
        }
        let layout = try FederationLayout(plan: plan, remoteFacts: nil)
        var model = try layout.initialModel(seed: plan.seed)
        let round: Int
        do {
            let store = try CheckpointStore(directory: directory, signer: try RunKeys.open(runDirectory: directory).1,
                                            encryptAtRest: plan.encryptCheckpoints)
            round = try store.loadLatest(into: &model).round
        } catch { throw RunError("--run \(directory): no verified checkpoint to audit: \(error)") }
        guard round > 0 else { throw UsageError("--run \(directory): no round completed yet (only the initial model is saved)") }
        return FinishedRunAudit(directory: directory, plan: plan.federationPlan(name: plan.name ?? "audit", simulations: [:]), layout: layout,
                                model: model, round: round, shadows: shadows, targets: targets, perturbations: perturbations, command: command)
    }
}

/// `fedtop audit sweep`: the audit's exercises (``AuditSweepRunner``) — the privacy–utility
/// frontier, the poisoning budget, the defence ablation and the attack strength — each a set of real
/// federated runs, reported as HTML, Markdown and CSV.
struct AuditSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep", abstract: "Train federations across ε, malicious hospitals and defences; attack them; write the report.")

    @Option(help: "Sweeps to run, comma-separated: frontier, poisoning, ablation, strength, robustness (adversarial training), dropout (federated dropout), exhaustion (crafted requests against a hospital); robustness and dropout run only when named.")
    var sweeps = "frontier,poisoning,ablation,strength,exhaustion"
    @Option(help: "Frontier: sample-level ε of every hospital (inf: no DP).") var epsilons = "0.5,1,2,4,8,inf"
    @Option(help: "Poisoning: how many of the hospitals are malicious.") var malicious = "0,1,2"
    @Option(help: "Poisoning: the defences (strategies; client-dp = DP-FedAvg with --client-clip and --client-noise).")
    var defences = "fedavg,median,trimmed:0.2,krum:1,multikrum:1:3,normbound:0.5,client-dp"
    @Option(help: "Poisoning: the attacks (flip: label flipping; backdoor: pixel trigger with model replacement).") var attacks = "flip,backdoor"
    @Option(help: "Strength: FGSM/PGD perturbation sizes, in standard deviations of each feature.") var perturbations = "0,0.05,0.1,0.2,0.3,0.5"
    @Option(help: "Robustness: sample-level ε of the federations compared (inf: no DP).") var robustnessEpsilons = "1,4,inf"
    @Option(help: "Robustness: the adversarial trainings compared with clean training, comma-separated (fgsm:EPS or pgd:EPS:STEPS[:ALPHA]).")
    var adversarial = "fgsm:0.3,pgd:0.3:5"
    @Option(help: "Robustness: the chance that each record of a batch is replaced by its adversarial example.") var adversarialRatio = 0.5
    @Option(help: "Robustness and dropout: seeds per setting (seed, seed+1, …); each cell of their tables is a mean ± sd over them.") var seeds = 5
    @Option(help: "Dropout: the shares of each hidden layer's units kept, comma-separated (1: the full model).") var dropoutKeeps = "1,0.75,0.5"
    @Option(help: "Dropout: sample-level ε of the federations compared (inf: no DP).") var dropoutEpsilons = "4,inf"
    @Option(help: "The data (image data for the backdoor: digits or lesions).") var dataset = "digits"
    @Option(help: "Hospitals in every federation.") var hospitals = 5
    @Option(help: "Fraction of the records held out centrally (non-member targets and the attacker's population); the rest is split among the hospitals.")
    var holdout = 0.85
    @Option(help: "Rounds of every federation.") var rounds = 40
    @Option(help: "Local epochs per round (more epochs over-fit more: a stronger membership signal).") var localEpochs = 10
    @Option(help: "Local epochs per round under DP-SGD.") var dpLocalEpochs = 1
    @Option(help: "Local learning rate under DP-SGD.") var dpLearningRate: Float = 0.5
    @Option(help: "Expected batch size.") var batchSize = 32
    @Option(help: "Local learning rate.") var learningRate: Float = 0.1
    @Option(help: "client-dp defence: the update clip norm S.") var clientClip = 0.5
    @Option(help: "client-dp defence: the noise multiplier z (its ε is reported, not targeted).") var clientNoise = 0.3
    @Option(help: "Ablation: the update norm above which updates are rejected.") var maxUpdateNorm = 4.0
    @Option(help: "Ablation: sample-level ε of its DP-SGD defence.") var ablationEpsilon = 8.0
    @Option(help: "Shadow models for the likelihood-ratio attack (0: loss-threshold only).") var shadows = 8
    @Option(help: "Members (and as many non-members) attacked at most.") var targets = 500
    @Option(help: "Seed for data, models and selection.") var seed: UInt64 = 1
    @Option(help: "Where to write report.html, report.md and the CSVs.") var out = "audit-report"

    static let known = AuditSweepRunner.Sweep.allCases.map(\.rawValue)

    func validate() throws {
        let chosen = sweeps.split(separator: ",").map(String.init)
        guard !chosen.isEmpty, chosen.allSatisfy(Self.known.contains) else {
            throw ValidationError("--sweeps: expected some of \(Self.known.joined(separator: ", ")), got '\(sweeps)'")
        }
        let e = try Self.numbers(epsilons, option: "--epsilons", allowInfinity: true)
        guard e.allSatisfy({ $0 > 0 }) else { throw ValidationError("--epsilons must be > 0 (inf for no DP), got '\(epsilons)'") }
        let m = try Self.numbers(malicious, option: "--malicious", allowInfinity: false)
        guard m.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < Double(hospitals) }) else {
            throw ValidationError("--malicious must be whole numbers from 0 to \(hospitals - 1), got '\(malicious)'")
        }
        guard holdout >= 0.1, holdout <= 0.9 else { throw ValidationError("--holdout must be in [0.1, 0.9], got \(holdout)") }
        guard hospitals >= 3 else { throw ValidationError("--hospitals must be at least 3, got \(hospitals)") }
        guard rounds >= 1, localEpochs >= 1, batchSize >= 1 else { throw ValidationError("--rounds, --local-epochs and --batch-size must be positive") }
        guard shadows >= 0, shadows != 1 else { throw ValidationError("--shadows must be 0 or at least 2, got \(shadows)") }
        for a in attacks.split(separator: ",") where AuditPoisoning(rawValue: String(a)) == nil || a == "honest" {
            throw ValidationError("--attacks: '\(a)' is not flip or backdoor")
        }
        for d in defences.split(separator: ",") where d != "client-dp" {
            do { _ = try StrategyParser.parse(String(d)) } catch { throw ValidationError("--defences: \(error)") }
        }
        _ = try Self.numbers(perturbations, option: "--perturbations", allowInfinity: false)
        let r = try Self.numbers(robustnessEpsilons, option: "--robustness-epsilons", allowInfinity: true)
        guard r.allSatisfy({ $0 > 0 }) else { throw ValidationError("--robustness-epsilons must be > 0 (inf for no DP), got '\(robustnessEpsilons)'") }
        _ = try adversarialTrainings()
        let keeps = try Self.numbers(dropoutKeeps, option: "--dropout-keeps", allowInfinity: false)
        guard !keeps.isEmpty, keeps.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
            throw ValidationError("--dropout-keeps must be in (0, 1], got '\(dropoutKeeps)'")
        }
        let d = try Self.numbers(dropoutEpsilons, option: "--dropout-epsilons", allowInfinity: true)
        guard d.allSatisfy({ $0 > 0 }) else { throw ValidationError("--dropout-epsilons must be > 0 (inf for no DP), got '\(dropoutEpsilons)'") }
        guard seeds >= 1, seeds <= 100 else { throw ValidationError("--seeds must be in 1…100, got \(seeds)") }
    }

    /// `--adversarial`'s trainings at `--adversarial-ratio`.
    func adversarialTrainings() throws -> [AdversarialTraining] {
        try adversarial.split(separator: ",").map { spec in
            do { return try AdversarialTraining(parsing: String(spec), ratio: adversarialRatio) } catch {
                throw ValidationError("--adversarial \(spec): \(error)")
            }
        }
    }

    /// Comma-separated numbers (`inf` allowed where asked).
    static func numbers(_ text: String, option: String, allowInfinity: Bool) throws -> [Double] {
        try text.split(separator: ",").map { part in
            let s = part.trimmingCharacters(in: .whitespaces)
            if allowInfinity, s == "inf" || s == "∞" { return .infinity }
            guard let x = Double(s), x.isFinite, x >= 0 else {
                throw ValidationError("\(option): '\(s)' is not a number ≥ 0\(allowInfinity ? " or inf" : "")")
            }
            return x
        }
    }

    /// Progress on standard error, one line per step (a sweep runs for minutes).
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("fedtop audit: \(line)\n".utf8))
    }

    func run() throws {
        do { try sweep() } catch let error as UsageError { throw ValidationError(error.description) }
    }

    private func sweep() throws {
        let chosen = Set(sweeps.split(separator: ",").map(String.init))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-audit-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var base = AuditTrial.Setting(label: "base")
        base.dataset = dataset
        base.hospitals = hospitals
        base.partition = RunOptions.defaults.string(.partition)
        base.testFraction = RunOptions.defaults.number(.testFraction)
        base.quorum = RunOptions.defaults.integer(.quorum)
        base.rounds = rounds
        base.localEpochs = localEpochs
        base.batchSize = batchSize
        base.learningRate = learningRate
        base.seed = seed
        base.holdout = holdout
        var plan = AuditSweepPlan(base: base, epsilons: try Self.numbers(epsilons, option: "--epsilons", allowInfinity: true),
                                  malicious: try Self.numbers(malicious, option: "--malicious", allowInfinity: false).map { Int($0) },
                                  defences: defences.split(separator: ",").map(String.init),
                                  attacks: attacks.split(separator: ",").compactMap { AuditPoisoning(rawValue: String($0)) },
                                  perturbations: try Self.numbers(perturbations, option: "--perturbations", allowInfinity: false),
                                  clientDP: (clientClip, clientNoise), dpLocalEpochs: dpLocalEpochs, dpLearningRate: dpLearningRate,
                                  maxUpdateNorm: maxUpdateNorm, ablationEpsilon: ablationEpsilon,
                                  measures: .init(membership: true, shadows: shadows, targetLimit: targets))
        plan.robustnessEpsilons = try Self.numbers(robustnessEpsilons, option: "--robustness-epsilons", allowInfinity: true)
        plan.adversarialTrainings = try adversarialTrainings()
        plan.robustnessSeeds = seeds
        plan.dropoutKeeps = try Self.numbers(dropoutKeeps, option: "--dropout-keeps", allowInfinity: false)
        plan.dropoutEpsilons = try Self.numbers(dropoutEpsilons, option: "--dropout-epsilons", allowInfinity: true)
        let runner = AuditSweepRunner(plan: plan, scratch: scratch,
                                      command: "fedtop audit sweep " + CommandLine.arguments.dropFirst(3).joined(separator: " "),
                                      progress: Self.progress)
        var target: ExhaustionTarget?
        if chosen.contains(AuditSweepRunner.Sweep.exhaustion.rawValue) {
            target = try ExhaustionTarget(scratch: scratch + "/exhaustion")
            runner.exhaustionTarget = target
        }
        defer { target?.stop() }
        let report = try auditErrors { try runner.report(sweeps: AuditSweepRunner.Sweep.allCases.filter { chosen.contains($0.rawValue) }) }
        let written = try ReportWriter.write(report, to: out)
        print("fedtop audit: report in \(out)/report.html (\(written.count) files)")
        for line in runner.summary { print(line) }
    }
}

/// `body`, a sweep's ``AuditSweepError`` as fedtop reports it: a setting that cannot be built is a
/// usage error (exit 2), a federation that trained nothing a failure (exit 1).
private func auditErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as AuditSweepError {
        switch error {
        case .setting(let message): throw UsageError(message)
        case .training(let message): throw RunError(message)
        }
    }
}
