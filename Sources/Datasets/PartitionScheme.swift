import Foundation

/// How records are dealt out to hospitals: the heterogeneity of a simulated federation.
///
/// Contract and provenance:
/// - `iid`: a uniform shuffle cut into near-equal parts (sizes differ by at most one).
/// - `dirichlet(alpha:)`: label skew; for each class, the hospitals' shares are drawn from a
///   symmetric Dirichlet(alpha). Small alpha (0.1) gives hospitals dominated by a few classes, large
///   alpha (100) approaches IID. Hsu, Qi & Brown, "Measuring the effects of non-identical data
///   distribution for federated visual classification" (2019). `alpha` must be positive and finite.
/// - `quantitySkew(sigma:)`: size skew; hospital sizes are proportional to lognormal(0, sigma²) draws,
///   labels stay IID. `sigma` must be non-negative and finite (0 is IID sizes). Li, Diao, Chen & He,
///   "Federated learning on non-IID data silos: an experimental study" (2022).
/// Parsed from `"iid"`, `"dirichlet:0.5"`, `"quantity:1.0"` by ``init(parsing:)``.
public enum PartitionScheme: Sendable, Equatable, CustomStringConvertible {
    case iid
    case dirichlet(alpha: Double)
    case quantitySkew(sigma: Double)

    /// The scheme written as `iid`, `dirichlet:<alpha>` or `quantity:<sigma>` (case-insensitive).
    /// - Throws: ``DatasetError/invalidOption(name:expected:found:)`` with the accepted forms.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let forms = "iid, dirichlet:<alpha > 0> (e.g. dirichlet:0.5) or quantity:<sigma ≥ 0> (e.g. quantity:1.0)"
        func number(_ name: String, valid: (Double) -> Bool, rule: String) throws -> Double {
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite, valid(value) else {
                throw DatasetError.invalidOption(name: "partition scheme",
                                                 expected: "\(name):<\(rule)> (one of \(forms))", found: text)
            }
            return value
        }
        switch parts[0] {
        case "iid" where parts.count == 1:
            self = .iid
        case "dirichlet":
            self = .dirichlet(alpha: try number("dirichlet", valid: { $0 > 0 }, rule: "alpha > 0"))
        case "quantity", "quantityskew":
            self = .quantitySkew(sigma: try number("quantity", valid: { $0 >= 0 }, rule: "sigma ≥ 0"))
        default:
            throw DatasetError.invalidOption(name: "partition scheme", expected: forms, found: text)
        }
    }

    /// The scheme in the form ``init(parsing:)`` reads.
    public var description: String {
        switch self {
        case .iid: "iid"
        case .dirichlet(let alpha): "dirichlet:\(alpha)"
        case .quantitySkew(let sigma): "quantity:\(sigma)"
        }
    }
}
