import Federation
import Testing
@testable import RunConfiguration

@Suite("RunPlan: options with defaults applied and their combination checked")
struct RunPlanTests {
    func plan(_ arguments: [String], insecure: Bool = false) throws -> RunPlan {
        try RunPlan(options: RunOptionArguments.parse(arguments), insecure: insecure)
    }

    @Test("no options: the table's defaults, which are the library's (FederationPlan.defaults)")
    func defaults() throws {
        let p = try plan([])
        let library = FederationPlan.defaults
        #expect(p.hospitals == 3 && p.rounds == library.rounds && p.batchSize == library.batchSize)
        #expect(p.learningRate == library.learningRate && p.epsilon == library.epsilon && p.privacy == .sample)
        #expect(p.quorum == 2 && p.selection == .count(3) && p.dataset == "lesions" && p.secureAggregation == nil)
    }

    @Test("--secagg-phase-timeout reaches the secure-aggregation settings; without --secure-aggregation it is refused")
    func secaggPhaseTimeout() throws {
        let p = try plan(["--secure-aggregation", "--secagg-phase-timeout", "5"])
        #expect(p.secureAggregation?.phaseTimeout == 5)
        #expect(try plan(["--secure-aggregation"]).secureAggregation?.phaseTimeout == SecureAggregationSettings().phaseTimeout)
        #expect(throws: UsageError("--secagg-phase-timeout needs --secure-aggregation")) {
            try plan(["--secagg-phase-timeout", "5"])
        }
        #expect(throws: UsageError("--secagg-phase-timeout must be positive, got 0.0")) {
            try plan(["--secure-aggregation", "--secagg-phase-timeout", "0"])
        }
    }

    @Test("combinations a run cannot honour are refused naming the options", arguments: [
        (["--per-round", "2", "--sample-rate", "0.5"], "give per-round or sample-rate, not both"),
        (["--json"], "--json needs --headless"),
        (["--dp", "off", "--epsilon", "1"], "--dp off: --epsilon, --noise and --client-noise do not apply"),
        (["--dp", "client", "--noise", "1"], "--noise is sample-level σ; it needs --dp sample or both"),
        (["--client-clip", "1"], "--client-noise, --client-clip and --adaptive-clip need --dp client or both"),
        (["--quorum", "4"], "--quorum 4 exceeds the 3 hospitals"),
        (["--hospitals", "1", "--secure-aggregation"], "--secure-aggregation needs at least 2 hospitals, got 1"),
        (["--hospital", "grpcs://a:1"], "remote hospitals need the console's certificates: --certs DIR (the console folder of `fedtop certs init`)"),
    ])
    func refused(arguments: [String], message: String) {
        #expect(throws: UsageError(message)) { try plan(arguments) }
    }

    @Test("--raise-budget needs the new --epsilon on the command line itself, not from run.json or a run file")
    func raiseBudget() throws {
        let saved = RunOptions([.epsilon: .number(5)])
        #expect(throws: UsageError.self) {
            try RunPlan(options: saved, commandLine: RunOptions(), resume: true, raiseBudget: "more rounds")
        }
        let given = RunOptions([.epsilon: .number(6)])
        #expect(try RunPlan(options: saved.overriding(with: given), commandLine: given, resume: true,
                            raiseBudget: "more rounds").budgetReason == "more rounds")
    }

    @Test("32-bit settings are checked as the 32-bit numbers training uses")
    func thirtyTwoBit() {
        #expect(throws: UsageError.self) { try plan(["--learning-rate", "1e39"]) }
        #expect(throws: UsageError.self) { try plan(["--momentum", "0.99999999"]) }
    }

    @Test("client-level DP samples hospitals by rate; remote hospitals alone mean no local ones")
    func selection() throws {
        #expect(try plan(["--dp", "client", "--per-round", "3", "--hospitals", "6"]).selection == .rate(0.5))
        let remote = try plan(["--hospital", "grpc://127.0.0.1:7001", "--hospital", "grpc://127.0.0.1:7002"], insecure: true)
        #expect(remote.hospitals == 0 && remote.totalHospitals == 2)
    }
}
