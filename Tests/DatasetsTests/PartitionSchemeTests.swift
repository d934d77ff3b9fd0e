import Testing
@testable import Datasets

@Suite("PartitionScheme")
struct PartitionSchemeTests {
    @Test("the three written forms parse, case-insensitively, and print back")
    func parses() throws {
        #expect(try PartitionScheme(parsing: "iid") == .iid)
        #expect(try PartitionScheme(parsing: " Dirichlet:0.5 ") == .dirichlet(alpha: 0.5))
        #expect(try PartitionScheme(parsing: "quantity:1.0") == .quantitySkew(sigma: 1))
        #expect(try PartitionScheme(parsing: PartitionScheme.dirichlet(alpha: 0.1).description) == .dirichlet(alpha: 0.1))
    }

    @Test("bad forms are rejected with the accepted forms in the message")
    func rejects() {
        for bad in ["", "dirichlet", "dirichlet:0", "dirichlet:-1", "dirichlet:abc", "quantity:-0.5",
                    "quantity:inf", "iid:2", "label-skew"] {
            let error = datasetError { try PartitionScheme(parsing: bad) }
            #expect(error?.description.contains("dirichlet:0.5") == true, "\(bad)")
        }
    }
}
