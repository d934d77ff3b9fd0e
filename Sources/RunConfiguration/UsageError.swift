/// A mistake in what the operator asked for (an option, a run file, a combination), naming what was
/// wrong; fedtop reports it as `fedtop: …` with exit status 2.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
