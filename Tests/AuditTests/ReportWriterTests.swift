import Foundation
import Testing
@testable import Audit

@Suite("Report writer")
struct ReportWriterTests {
    /// A fresh directory path under the system's temporary directory (not created).
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-report-\(UUID().uuidString)").path
    }

    static func contents(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test("writes the CSVs, report.md and report.html into a new nested directory, and nothing else")
    func writesEverything() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/runs/audit"
        let report = SampleReport.make()
        let paths = try ReportWriter.write(report, to: directory)
        let expected = ["summary.csv", "roc-mia.csv", "poison-accuracy.csv", "report.md", "report.html"]
        #expect(paths == expected.map { directory + "/" + $0 })
        #expect(try Self.contents(directory) == expected.sorted(), "no temporary or stray files")
        #expect(try String(contentsOfFile: directory + "/report.html", encoding: .utf8) == ReportHTML.render(report))
        #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8) == ReportMarkdown.render(report))
        #expect(try String(contentsOfFile: directory + "/roc-mia.csv", encoding: .utf8) == ReportCSV.chart(report.sections[0].charts[0]))
        #expect(try String(contentsOfFile: directory + "/summary.csv", encoding: .utf8) == ReportCSV.table(report.sections[0].tables[0]))
    }

    @Test("writing again replaces the files in place (trailing slash accepted), still without temporary files")
    func rewrites() throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var report = SampleReport.make()
        try ReportWriter.write(report, to: directory)
        report.title = "Second run"
        report.sections[0].tables[0].rows = [["only", "1", "2"]]
        let paths = try ReportWriter.write(report, to: directory + "/")
        #expect(paths.first == directory + "/summary.csv")
        #expect(try String(contentsOfFile: directory + "/summary.csv", encoding: .utf8) == "attack,AUC,TPR @ 0.1% FPR\r\nonly,1,2\r\n")
        #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8).hasPrefix("# Second run\n"))
        #expect(try Self.contents(directory).count == 5)
    }

    @Test("a report with an invalid or duplicate name is refused with the reason, and nothing is created")
    func refusals() throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let table = ReportTable(name: "Bad Name", caption: "", columns: ["a"], rows: [])
        let bad = AuditReport(title: "t", sections: [ReportSection(title: "s", tables: [table])])
        #expect(throws: AuditError.report("'Bad Name' is not a valid file stem (use a-z, 0-9 and -)")) {
            try ReportWriter.write(bad, to: directory)
        }
        let chart = ReportChart(name: "same", title: "c", xLabel: "x", yLabel: "y", series: [])
        let twice = AuditReport(title: "t", sections: [
            ReportSection(title: "one", tables: [ReportTable(name: "same", caption: "", columns: ["a"], rows: [])]),
            ReportSection(title: "two", charts: [chart]),
        ])
        #expect(throws: AuditError.report("two tables or charts are named 'same'")) {
            try ReportWriter.write(twice, to: directory)
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test("a directory that cannot be made is an error naming the path and the reason")
    func unwritable() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let file = root + "/plain-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        for target in [file, file + "/below"] {
            do throws(AuditError) {
                try ReportWriter.write(SampleReport.make(), to: target)
                Issue.record("writing under a regular file succeeded")
            } catch {
                guard case .report(let message) = error else { Issue.record("\(error)"); continue }
                #expect(message.contains(file), "\(message)")
                #expect(message.contains("exists") || message.contains("directory"), "\(message)")
            }
        }
        #expect(throws: AuditError.self) { try ReportWriter.write(SampleReport.make(), to: "") }
        #expect(try Self.contents(root) == ["plain-file"])
    }
}
