#if canImport(Glibc)
import Glibc
#endif
@testable import Datasets
import Foundation
import TensorCore
import Testing

@Suite("Data minimisation: schemas, identifiers never kept, k-anonymity and its generalisation")
struct MinimisationTests {
    static let schemaText = """
        # a comment
        id        identifier
        age       quasi      bins:10
        zip       quasi      prefix
        sex       quasi
        dx        sensitive
        bp        feature
        glucose   feature
        outcome   label
        """

    @Test("a schema reads roles and generalisations; each mistake is refused naming the file and line")
    func schema() throws {
        let s = try DataSchema(parsing: Self.schemaText, file: "s.schema")
        #expect(s.names(.identifier) == ["id"] && s.names(.feature) == ["bp", "glucose"] && s.names(.label) == ["outcome"])
        #expect(s.quasiIdentifiers.map(\.generalisation) == [.bins(width: 10), .prefix, .suppress])
        let bad: [(String, String)] = [
            ("a feature\nb label\nc nurse", "s.schema line 3"), ("a feature\nb label\na quasi", "'a' again"),
            ("a feature prefix\nb label", "only on a quasi-identifier"), ("a quasi bins:0\nb feature\nc label", "bins:WIDTH"),
            ("a feature", "exactly one label"), ("a label\nb quasi", "at least one feature"), ("a", "COLUMN ROLE"),
        ]
        for (text, says) in bad {
            #expect(throws: (any Error).self) { try DataSchema(parsing: text, file: "s.schema") }
            do { _ = try DataSchema(parsing: text, file: "s.schema") } catch {
                #expect("\(error)".contains(says), "\(text): \(error)")
            }
        }
    }

    @Test("generalisation hierarchies: bins double then *, prefixes shorten then *, suppression is * at once")
    func hierarchies() {
        let bins = Generalisation.bins(width: 10)
        let ages = ["23", "37", "81"]
        let levels = bins.levels(for: ages)  // 10, 20, 40, 80, 160 wide, then *
        #expect(levels == 6)
        #expect(bins.apply("37", level: 0, levels: levels) == "37")
        #expect(bins.apply("37", level: 1, levels: levels) == "[30, 40)")
        #expect(bins.apply("37", level: 2, levels: levels) == "[20, 40)")
        #expect(bins.apply("37", level: 5, levels: levels) == "[0, 160)")
        #expect(bins.apply("37", level: 6, levels: levels) == "*")
        #expect(Generalisation.prefix.levels(for: ["02139", "0213"]) == 5)
        #expect(Generalisation.prefix.apply("02139", level: 2, levels: 5) == "021**")
        #expect(Generalisation.prefix.apply("02139", level: 5, levels: 5) == "*")
        #expect(Generalisation.suppress.apply("F", level: 1, levels: 1) == "*")
        // Edges where x / w rounds across an interval's edge (0.6 / 0.1 = 5.999…), and negatives.
        let tenths = Generalisation.bins(width: 0.1)
        #expect(tenths.apply("0.6", level: 1, levels: 3) == "[0.6, 0.7)")
        #expect(tenths.apply("0.3", level: 1, levels: 3) == "[0.3, 0.4)")
        #expect(bins.apply("-5", level: 1, levels: levels) == "[-10, 0)")
        #expect(bins.apply("-10", level: 1, levels: levels) == "[-10, 0)")
    }

    /// Writes `head` then a line holding the token (unmasked only in a buffer zeroed after the write), then `tail`.
    static func writeTable(path: String, head: String, tokenLine: (prefix: String, suffix: String), masked: [UInt8], tail: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0)
        defer { close(fd) }
        _ = head.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress!, $0.count - 1) }
        let prefix = Array(tokenLine.prefix.utf8), suffix = Array(tokenLine.suffix.utf8)
        let line = UnsafeMutableRawBufferPointer.allocate(byteCount: prefix.count + masked.count + suffix.count, alignment: 1)
        for (i, b) in prefix.enumerated() { line[i] = b }
        for (i, b) in masked.enumerated() { line[prefix.count + i] = b ^ ProcessMemory.mask }
        for (i, b) in suffix.enumerated() { line[prefix.count + masked.count + i] = b }
        _ = write(fd, line.baseAddress!, line.count)
        memset(line.baseAddress!, 0, line.count)
        line.deallocate()
        _ = tail.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress!, $0.count - 1) }
    }

    @Test("identifier and sensitive cells are never kept: a unique token planted in them is nowhere in this process's memory after loading")
    func identifiersNeverInMemory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-minimise-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = try DataSchema(parsing: Self.schemaText, file: "s.schema")
        var rows = "id,age,zip,sex,dx,bp,glucose,outcome\n"
        for i in 0..<200 { rows += "P\(i),\(20 + i % 60),0213\(i % 10),\(i % 2 == 0 ? "F" : "M"),asthma,\(110 + i % 30),\(90 + i % 20),\(i % 2)\n" }
        for column in ["identifier", "sensitive"] {
            let id = ProcessMemory.maskedToken(length: 28), path = dir + "/\(column).csv"
            // The positive control: the scanner finds the token while an unzeroed copy exists, and not after.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: id.count, alignment: 1)
            for (i, b) in id.enumerated() { copy[i] = b ^ ProcessMemory.mask }
            #expect(ProcessMemory.contains(masked: id), "the scanner cannot see a heap copy")
            memset(copy.baseAddress!, 0, copy.count)
            copy.deallocate()
            #expect(!ProcessMemory.contains(masked: id))
            let line = column == "identifier" ? (prefix: "", suffix: ",44,02139,F,copd,120,95,1\n") : (prefix: "Q1,44,02139,F,", suffix: ",120,95,1\n")
            Self.writeTable(path: path, head: rows, tokenLine: line, masked: id, tail: "Z9,50,02130,M,copd,130,99,0\n")
            let table = try PatientTable.load(path, schema: schema)
            #expect(table.count == 202 && table.quasiNames == ["age", "zip", "sex"] && table.featureNames == ["bp", "glucose"])
            #expect(table.quasi[0][200] == "44" && table.features[400] == 120)
            #expect(!ProcessMemory.contains(masked: id), "the \(column) token is still in memory after loading")
            withExtendedLifetime(table) {}
        }
    }

    @Test("the reader hands back a skipped column's cells empty, quoted or not, and reads the others as before")
    func skippedCellsAreNotDecoded() throws {
        let text = "P-1,\"Doe, Jane\",44\n\"P-2\",  Roe ,51\n"
        var reader = CSVReader(bytes: Array(text.utf8)[...], file: "t.csv", separator: UInt8(ascii: ","))
        reader.skipped = [true, true, false]
        #expect(try reader.next()?.cells == ["", "", "44"])
        #expect(try reader.next()?.cells == ["", "", "51"])
        var plain = CSVReader(bytes: Array(text.utf8)[...], file: "t.csv", separator: UInt8(ascii: ","))
        #expect(try plain.next()?.cells == ["P-1", "Doe, Jane", "44"])
        // A comma inside an unquoted identifier: the row is too wide, and none of its cells is decoded.
        var shifted = CSVReader(bytes: Array("P-1,Doe, Jane,44\n".utf8)[...], file: "t.csv", separator: UInt8(ascii: ","))
        shifted.skipped = [true, true, false]
        #expect(try shifted.next()?.cells == ["", "", "", ""])
    }

    @Test("every column needs a role, and every quasi-identifier, feature and label column must be there; named")
    func columnsMatchTheSchema() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-minimise-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = try DataSchema(parsing: Self.schemaText, file: "s.schema")
        try "id,age,zip,sex,dx,bp,glucose,outcome,ward\nP1,40,02139,F,x,120,95,1,B\n".write(toFile: dir + "/extra.csv", atomically: true, encoding: .utf8)
        do { _ = try PatientTable.load(dir + "/extra.csv", schema: schema); Issue.record("an unknown column was read") } catch {
            #expect("\(error)".contains("ward"), "\(error)")
        }
        try "age,zip,sex,bp,outcome\n40,02139,F,120,1\n".write(toFile: dir + "/missing.csv", atomically: true, encoding: .utf8)
        do { _ = try PatientTable.load(dir + "/missing.csv", schema: schema); Issue.record("a missing feature was not noticed") } catch {
            #expect("\(error)".contains("glucose"), "\(error)")
        }
        // Identifier and sensitive columns may be left out (a generalised table).
        try "age,zip,sex,bp,glucose,outcome\n40,02139,F,120,95,1\n".write(toFile: dir + "/lean.csv", atomically: true, encoding: .utf8)
        #expect(try PatientTable.load(dir + "/lean.csv", schema: schema).count == 1)
    }

    /// Brute force: each record's class size by comparing it with every record.
    static func bruteSizes(_ columns: [[String]]) -> [Int] {
        let n = columns.first?.count ?? 0
        return (0..<n).map { r in (0..<n).filter { s in columns.allSatisfy { $0[r] == $0[s] } }.count }
    }

    static func randomTable(_ g: inout SeededGenerator) -> [[String]] {
        let n = Int(g.next() % 60) + 1, m = Int(g.next() % 4) + 1
        return (0..<m).map { _ in
            let domain = Int(g.next() % 6) + 1
            return (0..<n).map { _ in "v\(g.next() % UInt64(domain))" }
        }
    }

    @Test("k-anonymity against a brute-force count on 300 random tables: class sizes, the smallest, records at risk, drivers")
    func kAgainstBruteForce() {
        var g = SeededGenerator(seed: 1998)
        for _ in 0..<300 {
            let columns = Self.randomTable(&g)
            let k = Int(g.next() % 5) + 2
            let names = columns.indices.map { "q\($0)" }
            let brute = Self.bruteSizes(columns)
            #expect(KAnonymity.classSizes(columns) == brute)
            let r = KAnonymity.report(columns: columns, names: names, k: k, records: columns[0].count)
            #expect(r.smallestClass == brute.min()! && r.recordsAtRisk == brute.filter { $0 < k }.count)
            #expect(r.classes == Set(columns.first!.indices.map { i in columns.map { $0[i] } }).count)
            for (i, d) in r.drivers.enumerated() {
                var rest = columns
                rest.remove(at: i)
                let expected = rest.isEmpty ? (brute.count < k ? brute.count : 0) : Self.bruteSizes(rest).filter { $0 < k }.count
                #expect(d.column == names[i] && d.atRiskWithout == expected)
            }
        }
    }

    @Test("no quasi-identifiers: one class of all the records, k-anonymous exactly when there are at least k")
    func noQuasiIdentifiers() {
        let few = KAnonymity.report(columns: [], names: [], k: 5, records: 3), many = KAnonymity.report(columns: [], names: [], k: 5, records: 9)
        #expect(few.records == 3 && few.smallestClass == 3 && few.classes == 1 && !few.holds && few.recordsAtRisk == 3)
        #expect(many.records == 9 && many.smallestClass == 9 && many.holds)
    }

    @Test("Datafly on 200 random numeric tables: the result is k-anonymous by brute force whenever n ≥ k, each column at one level of its hierarchy")
    func dataflyReachesK() {
        var g = SeededGenerator(seed: 2002)
        for _ in 0..<200 {
            let n = Int(g.next() % 50) + 1, k = Int(g.next() % 6) + 2
            let ages = (0..<n).map { _ in String(18 + g.next() % 80) }
            let zips = (0..<n).map { _ in "021" + String(format: "%02d", Int(g.next() % 40)) }
            let sex = (0..<n).map { _ in g.next() % 2 == 0 ? "F" : "M" }
            let hierarchies: [Generalisation] = [.bins(width: 5), .prefix, .suppress]
            let result = Datafly.generalise(columns: [ages, zips, sex], names: ["age", "zip", "sex"], hierarchies: hierarchies, k: k)
            let brute = Self.bruteSizes(result.columns)
            #expect(result.holds == (brute.min()! >= k))
            if n >= k { #expect(result.holds, "n \(n) k \(k): levels \(result.levels)") }
            for (i, column) in [ages, zips, sex].enumerated() {
                #expect(result.columns[i] == column.map { hierarchies[i].apply($0, level: result.levels[i], levels: result.maxLevels[i]) })
            }
            #expect(result.precision >= 0 && result.precision <= 1)
            #expect(zip(result.distinctAfter, result.distinctBefore).allSatisfy { $0 <= $1 })
        }
    }

    @Test("the shipped example: 600 synthetic patients, identifiers and diagnosis not read, not 5-anonymous as it is, 5-anonymous after Datafly")
    func example() throws {
        let (csv, schemaBytes) = try ExamplePatients.files()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-patients-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(csv).write(to: URL(fileURLWithPath: dir + "/patients.csv"))
        let schema = try DataSchema(parsing: String(decoding: schemaBytes, as: UTF8.self), file: "patients.schema")
        let table = try PatientTable.load(dir + "/patients.csv", schema: schema)
        #expect(table.count == 600 && table.quasiNames == ["age", "sex", "zip", "admitted"] && table.featureNames.count == 6)
        #expect(!KAnonymity.report(columns: table.quasi, names: table.quasiNames, k: 5).holds)
        let result = Datafly.generalise(columns: table.quasi, names: table.quasiNames,
                                        hierarchies: schema.quasiIdentifiers.map(\.generalisation), k: 5)
        #expect(result.holds && result.report.smallestClass >= 5)
        let plain = table.dataset(name: "patients"), withQuasi = table.dataset(name: "patients", includingQuasi: true)
        #expect(plain.features.shape == [600, 6] && withQuasi.features.shape == [600, 10])
        #expect(withQuasi.featureNames == table.featureNames + ["age", "sex", "zip", "admitted"])
    }
}
