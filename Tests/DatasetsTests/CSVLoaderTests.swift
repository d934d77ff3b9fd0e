import Foundation
import Testing
@testable import Datasets

@Suite("CSVLoader")
struct CSVLoaderTests {
    @Test("a file with a header round-trips features, labels and names")
    func roundTripWithHeader() throws {
        let dir = try FixtureDirectory()
        let url = try dir.write("cells.csv", text: "radius,texture,diagnosis\n1.5,2,1\n-3e-1, 4 ,0\n\n5,6.25,1\n")
        let d = try CSVLoader.load(url)
        #expect(d.name == "cells")
        #expect(d.featureShape == [2])
        #expect(d.features.scalars == [1.5, 2, -0.3, 4, 5, 6.25])
        #expect(d.labels == [1, 0, 1])
        #expect(d.classNames == ["0", "1"])
        #expect(d.featureNames == ["radius", "texture"], "the header names the features, the label column left out")
        #expect(d.subset([2, 0]).featureNames == d.featureNames && d.split(testFraction: 0.5, seed: 1).test.featureNames == d.featureNames)
    }

    @Test("without a header the first line is a record")
    func noHeaderDetected() throws {
        let d = try CSVLoader.parse("1,2,0\n3,4,1\n")
        #expect(d.count == 2)
        #expect(d.features.scalars == [1, 2, 3, 4])
        #expect(d.featureNames == nil)
    }

    @Test("the label column can be named or indexed, and string labels map to sorted classes")
    func labelColumnAndStringLabels() throws {
        let text = "diagnosis,a,b\nM,1,2\nB,3,4\nM,5,6\n"
        let byName = try CSVLoader.parse(text, labelColumn: .name("diagnosis"))
        #expect(byName.classNames == ["B", "M"])
        #expect(byName.labels == [1, 0, 1])
        #expect(byName.features.scalars == [1, 2, 3, 4, 5, 6])
        let byIndex = try CSVLoader.parse(text, labelColumn: .index(0))
        #expect(byIndex.labels == byName.labels)
        let first = try CSVLoader.parse(text, labelColumn: .first)
        #expect(first.features == byName.features)
        #expect(byName.featureNames == ["a", "b"] && byIndex.featureNames == ["a", "b"])
        #expect(try CSVLoader.parse("a,a,y\n1,2,0\n", header: .present).featureNames == nil, "repeated names name nothing")
    }

    @Test("quoted fields may hold separators and doubled quotes")
    func quotedFields() throws {
        let d = try CSVLoader.parse("\"x\",y,\"class\"\n\"1\",2,\"benign, probably\"\n3,\"4\",\"say \"\"malignant\"\"\"\n")
        #expect(d.features.scalars == [1, 2, 3, 4])
        #expect(d.classNames == ["benign, probably", "say \"malignant\""])
    }

    @Test("negative or large integer labels are mapped to classes in numeric order")
    func sparseIntegerLabels() throws {
        let d = try CSVLoader.parse("1,-1\n2,10\n3,2\n4,-1\n", header: .absent)
        #expect(d.classNames == ["-1", "2", "10"])
        #expect(d.labels == [0, 2, 1, 0])
    }

    @Test("a ragged row names the file, the line (counting header and blank lines) and both counts")
    func raggedRow() throws {
        let dir = try FixtureDirectory()
        let url = try dir.write("digits.csv", text: "a,b,c\n1,2,0\n\n1,2\n")
        let error = datasetError { try CSVLoader.load(url) }
        #expect(error == .raggedRow(SourceLocation(file: url.path, line: 4), expected: 3, found: 2))
        #expect(error?.description == "\(url.path) line 4: expected 3 columns, found 2")
    }

    @Test("a non-numeric cell names the file, line, column and header name")
    func nonNumeric() throws {
        let error = datasetError { try CSVLoader.parse("a,b,c\n1,2,0\n1,oops,1\n", file: "x.csv") }
        #expect(error?.description == "x.csv line 3, column 2 ('b'): expected a number, found 'oops'")
    }

    @Test("NaN, infinities and values beyond Float32 are rejected where they are")
    func nonFinite() {
        for bad in ["nan", "NaN", "inf", "-Infinity", "1e39"] {
            let error = datasetError { try CSVLoader.parse("1,2,0\n3,\(bad),1\n", file: "x.csv") }
            #expect(error == .nonFiniteValue(SourceLocation(file: "x.csv", line: 2, column: 2), found: bad))
        }
    }

    @Test("empty cells are rejected, in features and in the label")
    func emptyCells() {
        #expect(datasetError { try CSVLoader.parse("1,,0\n", file: "x.csv") }
                == .emptyCell(SourceLocation(file: "x.csv", line: 1, column: 2)))
        #expect(datasetError { try CSVLoader.parse("1,2,0\n1,2, \n", file: "x.csv") }
                == .emptyCell(SourceLocation(file: "x.csv", line: 2, column: 3)))
    }

    @Test("a quote left open is reported at its line and column")
    func unterminatedQuote() {
        let error = datasetError { try CSVLoader.parse("1,2,0\n1,\"2,0\n", file: "q.csv") }
        #expect(error?.location == SourceLocation(file: "q.csv", line: 2, column: 2))
        #expect(error?.description.contains("closing quote") == true)
    }

    @Test("an unknown label column name lists the columns there are")
    func unknownLabelColumn() {
        let error = datasetError { try CSVLoader.parse("a,b\n1,2\n", file: "x.csv", labelColumn: .name("label")) }
        #expect(error == .labelColumnNotFound(file: "x.csv", requested: "label", available: ["a", "b"]))
    }

    @Test("a file with only a header, or nothing, has no records")
    func noRecords() {
        #expect(datasetError { try CSVLoader.parse("a,b,c\n", file: "x.csv") } == .noRecords(file: "x.csv"))
        #expect(datasetError { try CSVLoader.parse("\n\n", file: "x.csv") } == .noRecords(file: "x.csv"))
    }

    @Test("given class names, labels are names or indices, and others are rejected")
    func givenClassNames() throws {
        let d = try CSVLoader.parse("1,benign\n2,0\n", classNames: ["malignant", "benign"])
        #expect(d.labels == [1, 0])
        let error = datasetError { try CSVLoader.parse("1,2\n", file: "x.csv", classNames: ["a", "b"]) }
        #expect(error?.location == SourceLocation(file: "x.csv", line: 1, column: 2))
    }

    @Test("a missing file is an unreadable error naming it")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/data.csv")
        #expect(datasetError { try CSVLoader.load(url) } == .unreadable(file: url.path, reason: "no such file"))
    }
}
