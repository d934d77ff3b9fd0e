/// Why a benchmark could not measure: a child process that failed, a run that did not finish, an
/// unusable reference. The message names the step and what failed, so that it can be printed as is.
public struct BenchmarkError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
