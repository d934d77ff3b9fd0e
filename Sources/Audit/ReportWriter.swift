#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Writes an ``AuditReport`` into a directory: `report.html` (``ReportHTML``), `report.md`
/// (``ReportMarkdown``) and one `name.csv` (``ReportCSV``) per table and per chart.
///
/// Contract: a report whose ``AuditReport/problem`` is set is refused before anything is touched.
/// The directory is created with its missing parents. Each file is replaced atomically and durably
/// (``POSIXFile/replaceAtomically(_:with:mode:)``: a temporary file in the same directory, `fsync`,
/// `rename`, then the directory is flushed), so a reader sees the old file or the whole new one and
/// no temporary file is left behind, even on failure. The CSV files are written first and
/// `report.html` last, so the documents never link to a CSV that is missing. The set of files is not
/// one transaction: a failure part-way leaves the files already replaced; files of an earlier report
/// that this one does not name are left alone. Every error is ``AuditError/report(_:)`` naming the
/// file (or directory) and the system's reason.
public enum ReportWriter {
    /// Writes the report's files into `directory`; returns their paths, in the order written (the
    /// CSVs in the report's order, then `report.md`, then `report.html`).
    @discardableResult
    public static func write(_ report: AuditReport, to directory: String) throws(AuditError) -> [String] {
        if let problem = report.problem { throw .report(problem) }
        guard !directory.isEmpty else { throw .report("no directory given for the report") }
        try makeDirectories(directory)
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        var files: [(name: String, text: String)] = []
        for section in report.sections {
            for table in section.tables { files.append((table.name + ".csv", ReportCSV.table(table))) }
            for chart in section.charts { files.append((chart.name + ".csv", ReportCSV.chart(chart))) }
        }
        files.append(("report.md", ReportMarkdown.render(report)))
        files.append(("report.html", ReportHTML.render(report)))
        var written: [String] = []
        for file in files {
            let path = folder + file.name
            do throws(POSIXFileError) {
                try POSIXFile.replaceAtomically(path, with: Array(file.text.utf8))
            } catch {
                throw .report(error.description)
            }
            written.append(path)
        }
        return written
    }

    /// `mkdir -p`: creates `path` and its missing parents (mode 0755); an existing directory is fine,
    /// an existing file of another kind is an error.
    static func makeDirectories(_ path: String) throws(AuditError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let reason = String(cString: strerror(errno))
                var status = stat()
                guard stat(prefix, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                    throw .report("\(prefix): cannot create the report's directory: \(reason)")
                }
            }
            prefix += "/"
        }
    }
}
