import Federation
import Testing
@testable import RunConfiguration

@Suite("RunPlan: options with defaults applied and their combination checked")
struct RunPlanTests {
    func plan(_ arguments: [String], insecure: Bool = false) throws -> RunPlan {
        try RunPlan(options: RunOptionArguments.parse(arguments), insecure: insecure)
    }

    @Test("no options: the table's defaults, which are the library's (FederationPlan.defaults), tinycnn's training settings")
    func defaults() throws {
        let p = try plan([])
        let library = FederationPlan.defaults
        #expect(p.hospitals == 3 && p.rounds == library.rounds && p.epsilon == library.epsilon && p.privacy == .sample)
        #expect(p.quorum == 2 && p.selection == .count(3) && p.dataset == "lesions" && p.secureAggregation == nil)
        #expect(p.batchSize == 256 && p.learningRate == 1.0 && p.clip == 0.4)
    }

    @Test("batch size, learning rate and clip norm default by model: tinycnn's own under DP-SGD, fedtop's otherwise; given ones win",
          arguments: [
        ([String](), 256, Float(1.0), 0.4),
        (["--dataset", "lesions:3000"], 256, 1.0, 0.4),
        (["--dp", "both"], 256, 1.0, 0.4),
        (["--model", "tinycnn", "--dataset", "digits"], 256, 1.0, 0.4),
        (["--model", "lesioncnn"], 64, 0.05, 1),
        (["--dataset", "wdbc"], 64, 0.05, 1),
        (["--dataset", "digits"], 64, 0.05, 1),
        (["--model", "mlp"], 64, 0.05, 1),
        (["--dp", "off"], 64, 0.05, 1),
        (["--dp", "client"], 64, 0.05, 1),
        (["--batch-size", "32"], 32, 1.0, 0.4),
        (["--learning-rate", "0.1", "--clip", "2"], 256, 0.1, 2),
        // Only remote hospitals: their data decides the model, so fedtop's defaults apply.
        (["--hospital", "grpcs://a.example.org:7443", "--certs", "c"], 64, 0.05, 1),
    ] as [([String], Int, Float, Double)])
    func trainingDefaults(arguments: [String], batch: Int, learningRate: Float, clip: Double) throws {
        let p = try plan(arguments)
        #expect(p.batchSize == batch && p.learningRate == learningRate && p.clip == clip, "\(arguments)")
        #expect(TrainingDefaults.forModel("tinycnn") == TrainingDefaults(batchSize: 256, learningRate: 1.0, clipNorm: 0.4))
        #expect(TrainingDefaults.forModel("tinycnn", dpSGD: false) == .standard)
        #expect(TrainingDefaults.forModel(nil) == .standard && TrainingDefaults.standard.batchSize == FederationPlan.defaults.batchSize)
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

    @Test("--federated-dropout reaches the library's plan; a share outside (0, 1] is refused naming the option")
    func federatedDropout() throws {
        #expect(try plan(["--federated-dropout", "0.5"]).federation.federatedDropout == 0.5)
        #expect(try plan([]).federation.federatedDropout == nil)
        for bad in ["0", "1.5", "-0.2"] {
            #expect(throws: UsageError.self) { try plan(["--federated-dropout", bad]) }
            do { _ = try plan(["--federated-dropout", bad]) } catch {
                #expect("\(error)".contains("--federated-dropout"), "\(error)")
            }
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
