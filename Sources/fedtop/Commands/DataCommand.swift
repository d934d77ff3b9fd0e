import ArgumentParser
import Benchmarks
import Datasets
import Federation
import Foundation
import TensorCore

/// `fedtop data …`: data minimisation before a dataset is served.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Data minimisation: check a patient table's k-anonymity under its schema, generalise it, or write the example.",
        subcommands: [DataCheckCommand.self, DataExampleCommand.self])
}

/// `fedtop data check FILE --schema S --k K [--generalise --out FILE]`.
struct DataCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report a CSV table's k-anonymity under its schema: the smallest equivalence class, the records at risk and which quasi-identifiers drive it.",
        discussion: """
            The schema gives each column a role (identifier, quasi, sensitive, feature, label) and each \
            quasi-identifier a generalisation (bins:WIDTH, prefix, suppress); `fedtop data example DIR` writes \
            one. Identifier and sensitive cells are never decoded (the file buffer is zeroed after reading). Exit status 0 when k-anonymity holds (after \
            --generalise, if given), 3 when it does not.
            """)

    @Argument(help: "The patient table (CSV with a header).") var file: String
    @Option(help: "The schema file.") var schema: String
    @Option(help: "Every combination of quasi-identifier values must be shared by at least this many records.") var k = 5
    @Flag(help: "Generalise the quasi-identifiers (Datafly) until k-anonymity holds, and report the information lost.") var generalise = false
    @Option(help: "With --generalise: write the generalised table here (identifier and sensitive columns left out).") var out: String?
    @Option(help: "Also train a model (MLP, 80/20 split per seed) on the features alone, with the quasi-identifiers and, with --generalise, with the generalised ones, over this many seeds; report the accuracy as mean ± sd.")
    var evaluate: Int?

    func validate() throws {
        guard k >= 2, k <= 1_000_000 else { throw ValidationError("--k must be in 2…1000000, got \(k)") }
        if out != nil, !generalise { throw ValidationError("--out needs --generalise") }
        if let evaluate, !(1...100).contains(evaluate) { throw ValidationError("--evaluate must be 1…100 seeds, got \(evaluate)") }
    }

    func run() throws {
        let table = try Self.load(file: file, schema: schema)
        let before = KAnonymity.report(columns: table.quasi, names: table.quasiNames, k: k, records: table.count)
        Swift.print("fedtop data: \(file): \(table.count) records; quasi-identifiers \(table.quasiNames.joined(separator: ", ")); "
              + "never decoded: \(table.schema.names(.identifier).joined(separator: ", ")) (identifiers), "
              + "\(table.schema.names(.sensitive).joined(separator: ", ")) (sensitive)")
        Self.show(before, title: "as it is")
        var holds = before.holds
        var generalisedQuasi: [[String]]?
        defer { if let evaluate { Self.evaluate(table, generalised: generalisedQuasi, seeds: evaluate) } }
        if generalise {
            let result = Datafly.generalise(columns: table.quasi, names: table.quasiNames,
                                            hierarchies: table.schema.quasiIdentifiers.map(\.generalisation), k: k, records: table.count)
            Self.show(result.report, title: "generalised")
            for i in result.names.indices {
                Swift.print("  \(result.names[i]): level \(result.levels[i])/\(result.maxLevels[i]), "
                            + "\(result.distinctBefore[i]) → \(result.distinctAfter[i]) distinct values")
            }
            Swift.print(String(format: "  information kept: precision %.3f (1: nothing generalised, 0: all suppressed)", result.precision))
            holds = result.holds
            generalisedQuasi = result.columns
            if let out { try Self.write(table: table, generalised: result, to: out) }
        }
        if !holds { throw ExitCode(3) }
    }

    static func load(file: String, schema: String) throws -> PatientTable {
        let schemaText: String
        do { schemaText = try String(contentsOfFile: schema, encoding: .utf8) } catch {
            throw ValidationError("--schema \(schema): cannot be read (\(error.localizedDescription))")
        }
        do {
            return try PatientTable.load(file, schema: try DataSchema(parsing: schemaText, file: schema))
        } catch { throw ValidationError("\(error)") }
    }

    static func show(_ r: KAnonymityReport, title: String) {
        Swift.print("\(title): \(r.holds ? "\(r.k)-anonymous" : "NOT \(r.k)-anonymous"): \(r.classes) equivalence classes, "
                    + "the smallest \(r.smallestClass) record(s); \(r.recordsAtRisk) of \(r.records) records in classes below \(r.k)")
        if !r.holds {
            let drivers = r.drivers.sorted { $0.atRiskWithout < $1.atRiskWithout }
            Swift.print("  without each quasi-identifier, records at risk: "
                        + drivers.map { "\($0.column) \($0.atRiskWithout)" }.joined(separator: ", "))
        }
    }

    /// What minimisation costs the model: test accuracy without the quasi-identifiers, with them, and
    /// with them generalised, each a mean ± sd over `seeds` 80/20 splits (an MLP trained 40 epochs).
    static func evaluate(_ table: PatientTable, generalised: [[String]]?, seeds: Int) {
        var variants: [(String, Dataset)] = [("features only (minimised)", table.dataset(name: "patients")),
                                             ("with the quasi-identifiers", table.dataset(name: "patients", includingQuasi: true))]
        if let generalised {
            variants.append(("with them generalised", table.dataset(name: "patients", includingQuasi: true, quasi: generalised)))
        }
        for (label, data) in variants {
            var accuracies: [Double] = []
            for seed in 1...seeds {
                let (train, test) = data.split(testFraction: 0.2, seed: UInt64(seed))
                let s = HospitalShares.standardized(HospitalData(train: train, test: test), featureClip: nil)
                let training = CentralTraining(modelKind: "mlp", epochs: 40, batchSize: 32, learningRate: 0.05, momentum: 0.9,
                                               seed: UInt64(seed), privacy: nil)
                guard let outcome = try? training.run(train: s.train, test: s.test), let last = outcome.epochs.last else { continue }
                accuracies.append(last.testAccuracy)
            }
            let (mean, sd) = DPSGDUtility.meanAndSD(accuracies)
            Swift.print(String(format: "accuracy %@: %.3f ± %.3f (%d seeds, %d inputs)", label, mean, sd, accuracies.count, data.featureShape[0]))
        }
    }

    /// The generalised quasi-identifiers, the features and the label, as CSV, written atomically.
    static func write(table: PatientTable, generalised: GeneralisationResult, to path: String) throws {
        func quoted(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        let f = table.featureNames.count
        var text = (table.quasiNames + table.featureNames + [table.schema.names(.label)[0]]).joined(separator: ",") + "\n"
        for r in 0..<table.count {
            let q = generalised.columns.map { quoted($0[r]) }
            let x = table.features[(r * f)..<((r + 1) * f)].map { "\($0)" }
            text += (q + x + [quoted(table.classNames[table.labels[r]])]).joined(separator: ",") + "\n"
        }
        do { try POSIXFile.replaceAtomically(path, with: Array(text.utf8)) } catch {
            throw ValidationError("--out \(path): cannot be written (\(error))")
        }
        Swift.print("fedtop data: generalised table in \(path)")
    }
}

/// `fedtop data example DIR`: the synthetic patient table and its schema.
struct DataExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Write the synthetic patient table (patients.csv, 600 records, no real person) and its schema (patients.schema) into a folder.")

    @Argument(help: "The folder (created if missing; existing files of those names are refused).") var directory: String

    func run() throws {
        let (csv, schema) = try ExamplePatients.files()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in [("patients.csv", csv), ("patients.schema", schema)] {
            let path = directory + "/" + name
            guard !FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(path) exists; not overwritten") }
            try POSIXFile.replaceAtomically(path, with: bytes)
        }
        print("fedtop data: \(directory)/patients.csv and \(directory)/patients.schema")
    }
}
