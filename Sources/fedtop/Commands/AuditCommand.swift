import RunConfiguration
import ArgumentParser
import Audit
import Foundation

/// `fedtop audit`: attack the federation and measure what the defences buy. `--run DIR` audits a
/// finished run; `fedtop audit sweep` trains federations across ε, malicious hospitals, defences and
/// attack strengths. Both write `report.html`, `report.md` and the CSVs behind every chart.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Attack a finished run (--run DIR) or sweep privacy and robustness settings (audit sweep); write an HTML/Markdown/CSV report.",
        subcommands: [AuditRunCommand.self, AuditSweep.self], defaultSubcommand: AuditRunCommand.self)
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
        _ = try AuditSweep.numbers(perturbations, option: "--perturbations", allowInfinity: false)
    }

    func run() throws {
        do { try audit() } catch let error as UsageError { throw ValidationError(error.description) }
    }

    private func audit() throws {
        guard let directory = runDirectory else {
            throw UsageError("give --run DIR (a finished run) or use `fedtop audit sweep` (see fedtop audit --help)")
        }
        let report = try RunAudit(directory: directory, shadows: shadows, targets: targets,
                                  perturbations: try AuditSweep.numbers(perturbations, option: "--perturbations", allowInfinity: false))
            .report(log: AuditSweep.progress)
        let destination = out ?? directory + "/audit"
        let written = try ReportWriter.write(report, to: destination)
        print("fedtop audit: report in \(destination)/report.html (\(written.count) files)")
    }
}
