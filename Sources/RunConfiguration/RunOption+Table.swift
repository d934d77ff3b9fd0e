import Datasets
import Federation
import Privacy
import Transport

/// The option table: every option of `fedtop run`, in the order `--help` and `fedtop init` list them.
/// Each entry is the option's only declaration (see ``RunOption``).
extension RunOption {
    /// The library's defaults (``FederationPlan/defaults``): the table shows and applies them, never restates them.
    private static let plan = FederationPlan.defaults

    public static let all: [RunOption] = [
        hospitals, hospital, certs, rounds, perRound, sampleRate, quorum, deadline, strategy, maxUpdateNorm, federatedDropout,
        dataset, partition, testFraction, centralHoldout, featureClip,
        model, localEpochs, batchSize, learningRate, momentum, seed, adversarial, adversarialRatio,
        dp, epsilon, delta, clip, noise, clientNoise, clientClip, adaptiveClip, noiseSeed,
        secureAggregation, secaggBits, secaggRange, secaggPhaseTimeout,
        out, name, headless, json,
    ]

    // MARK: Federation

    public static let hospitals = RunOption(
        "hospitals", .integer, .federation, help: "Local hospitals, simulated in this process; with --hospital, none unless given.",
        default: .integer(3), otherwise: nil, check: atLeast(0))
    public static let hospital = RunOption(
        "hospital", .strings, .federation,
        help: "A remote hospital (a `fedtop hospital` process): grpcs://[NAME@]HOST:PORT (repeatable, mixable with --hospitals).",
        example: .strings(["grpcs://alice@hospital-a.example.org:7443"]), check: remoteAddresses)
    public static let certs = RunOption(
        "certs", .string, .federation,
        help: "The console's folder from `fedtop certs init` (certificate, key, model-signing key), for remote hospitals.",
        example: .string("federation/console"), check: nonEmpty)
    public static let rounds = RunOption(
        "rounds", .integer, .federation, help: "Federated rounds.", default: .integer(plan.rounds), check: atLeast(1))
    public static let perRound = RunOption(
        "per-round", .integer, .federation, help: "Hospitals asked each round (a count).",
        otherwise: "all", example: .integer(3), check: atLeast(1))
    public static let sampleRate = RunOption(
        "sample-rate", .number, .federation,
        help: "Instead of per-round: the chance q each hospital is asked in a round (Poisson sampling; client-level DP uses it).",
        example: .number(0.5), check: number { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1], got \($0)" })
    public static let quorum = RunOption(
        "quorum", .integer, .federation, help: "The fewest valid updates a round may aggregate (at most the hospitals).",
        default: .integer(plan.quorum), check: atLeast(1))
    public static let deadline = RunOption(
        "deadline", .number, .federation, help: "Seconds a round waits for updates.",
        otherwise: "no deadline", example: .number(60), check: positive)
    public static let strategy = RunOption(
        "strategy", .string, .federation,
        help: "How updates are combined: fedavg | fedprox:MU | fedadam | fedyogi | fedadagrad | median | trimmed:BETA | krum:F "
            + "| multikrum:F:M | normbound:M.",
        default: .string(plan.strategy), check: nonEmpty)
    public static let maxUpdateNorm = RunOption(
        "max-update-norm", .number, .federation, help: "Reject updates whose L2 norm exceeds this.",
        otherwise: "a bound derived from the round's settings", example: .number(10), check: positive)
    public static let federatedDropout = RunOption(
        "federated-dropout", .number, .federation,
        help: "Federated dropout: each round trains a random sub-model keeping this share of every hidden layer's units "
            + "(one mask per round, drawn from the seed); only the sub-model is sent and returned.",
        otherwise: "the full model", example: .number(0.75),
        check: number { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1], got \($0)" })

    // MARK: Data

    public static let dataset = RunOption(
        "dataset", .string, .data, help: "The data: \(DatasetSource.help).",
        default: .string(DatasetSource.defaultSpec), check: nonEmpty)
    public static let partition = RunOption(
        "partition", .string, .data, help: "How records are split among hospitals: iid | dirichlet:ALPHA | quantity:SIGMA.",
        default: .string("iid"), check: string { text in
            do { _ = try PartitionScheme(parsing: text) } catch { return "\(error)" }
            return nil
        })
    public static let testFraction = RunOption(
        "test-fraction", .number, .data, help: "Fraction of each hospital's records held out for its evaluation.",
        default: .number(0.2), check: fraction)
    public static let centralHoldout = RunOption(
        "central-holdout", .number, .data,
        help: "Fraction of all records held out centrally, before the split, for a central evaluation every round.",
        otherwise: "none", example: .number(0.1),
        check: number { $0 > 0 && $0 <= 0.5 ? nil : "must be in (0, 0.5], got \($0)" })
    public static let featureClip = RunOption(
        "feature-clip", .number, .data,
        help: "Clamp each hospital's standardised features to ±this many standard deviations (winsorisation).",
        otherwise: "no bound", example: .number(5),
        check: number { Standardizer.isValidClip($0) ? nil : "must be a positive number of standard deviations, got \($0)" })

    // MARK: Model and local training

    public static let model = RunOption(
        "model", .string, .training, help: "The model: \(ModelZoo.names.joined(separator: " | ")).",
        otherwise: "by dataset", example: .string("tinycnn"), check: nonEmpty)
    public static let localEpochs = RunOption(
        "local-epochs", .integer, .training, help: "Passes over its data each hospital makes per round.",
        default: .integer(plan.localEpochs), check: atLeast(1))
    public static let batchSize = RunOption(
        "batch-size", .integer, .training, help: "Expected batch size (Poisson batches under DP-SGD).",
        otherwise: TrainingDefaults.note(\.batchSize), example: .integer(plan.batchSize), check: atLeast(1))
    public static let learningRate = RunOption(
        "learning-rate", .number, .training, help: "Local SGD learning rate.", otherwise: TrainingDefaults.note(\.learningRate),
        example: .number(widened(plan.learningRate)), check: number { Float($0) > 0 && Float($0).isFinite ? nil : "must be positive, got \($0)" })
    public static let momentum = RunOption(
        "momentum", .number, .training, help: "Local SGD momentum, in [0, 1).", default: .number(widened(plan.momentum)),
        check: number { Float($0) >= 0 && Float($0) < 1 ? nil : "must be in [0, 1), got \($0)" })
    public static let seed = RunOption(
        "seed", .seed, .training, help: "Seed for the split, initialisation, selection and batches.", default: .seed(plan.seed))
    public static let adversarial = RunOption(
        "adversarial", .string, .training,
        help: "Local hospitals train on adversarial examples made each step from their current model, inside DP-SGD "
            + "(the accounting is unchanged): fgsm:EPS | pgd:EPS:STEPS[:ALPHA], ε in standard deviations of each feature.",
        otherwise: "clean batches", example: .string("pgd:0.1:5"), check: string { text in
            do { _ = try AdversarialTraining(parsing: text) } catch { return "\(error)" }
            return nil
        })
    public static let adversarialRatio = RunOption(
        "adversarial-ratio", .number, .training,
        help: "With --adversarial: the chance that each record of a batch is replaced by its adversarial example.",
        default: .number(0.5), check: number { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1], got \($0)" })

    // MARK: Privacy

    /// The values `dp` takes.
    public static let privacyModes = [PrivacyMode.sample, .client, .both, .off].map(\.rawValue)

    public static let dp = RunOption(
        "dp", .string, .privacy, help: "Differential privacy: sample (DP-SGD in hospitals) | client (DP-FedAvg) | both | off.",
        default: .string(plan.privacy.rawValue), check: string { mode in
            privacyModes.contains(mode) ? nil : "must be one of \(privacyModes.joined(separator: ", ")), got \"\(mode)\""
        })
    public static let epsilon = RunOption(
        "epsilon", .number, .privacy, help: "The ε budget of each hospital (and of the federation under client-level DP).",
        default: .number(plan.epsilon!), check: positive)
    public static let delta = RunOption("delta", .number, .privacy, help: "δ.", default: .number(plan.delta), check: fraction)
    public static let clip = RunOption(
        "clip", .number, .privacy, help: "Sample-level per-sample clip norm C.", otherwise: TrainingDefaults.note(\.clipNorm),
        example: .number(plan.clip), check: positive)
    public static let noise = RunOption(
        "noise", .number, .privacy, help: "Instead of epsilon: the sample-level noise multiplier σ.",
        otherwise: "calibrated to --epsilon over the planned rounds", example: .number(1.1), check: nonNegative)
    public static let clientNoise = RunOption(
        "client-noise", .number, .privacy, help: "Client-level noise multiplier z.",
        otherwise: "calibrated to --epsilon", example: .number(1.0), check: nonNegative)
    public static let clientClip = RunOption(
        "client-clip", .number, .privacy, help: "Client-level update clip norm S (the initial one with --adaptive-clip).",
        otherwise: "\(plan.clientClip)", example: .number(0.5), check: positive)
    public static let adaptiveClip = RunOption(
        "adaptive-clip", .boolean, .privacy, help: "Client-level adaptive clipping: S follows a quantile of the update norms (Andrew et al. 2021).",
        example: .boolean(true))
    public static let noiseSeed = RunOption(
        "noise-seed", .seed, .privacy, help: "Seed the DP noise (reproducible, NOT secure; ε is reported as seeded).",
        example: .seed(7))

    // MARK: Secure aggregation

    public static let secureAggregation = RunOption(
        "secure-aggregation", .boolean, .secureAggregation,
        help: "Secure aggregation (SecAgg; SecAgg+ from 64 hospitals): the aggregator learns only the sum of the updates.",
        example: .boolean(true))
    public static let secaggBits = RunOption(
        "secagg-bits", .integer, .secureAggregation, help: "Secure aggregation: quantisation bits b, 2^b levels per coordinate.",
        otherwise: "\(standardSecaggBits)", example: .integer(16))
    public static let secaggRange = RunOption(
        "secagg-range", .number, .secureAggregation,
        help: "Secure aggregation: each weighted update coordinate is clipped to ±this before quantisation.",
        otherwise: "\(standardSecaggRange); the client clip norm S under --dp client", example: .number(1.0))
    public static let secaggPhaseTimeout = RunOption(
        "secagg-phase-timeout", .number, .secureAggregation,
        help: "Secure aggregation: seconds each phase (shares, masked inputs, unmasking) waits before the missing hospitals count as dropped.",
        otherwise: "\(SecureAggregationSettings().phaseTimeout)", example: .number(30), check: positive)

    // MARK: Output

    public static let out = RunOption(
        "out", .string, .output, help: "The run directory.", otherwise: "runs/<time>-<name>/", example: .string("runs"),
        check: nonEmpty)
    public static let name = RunOption(
        "name", .string, .output, help: "The run's name.", otherwise: "DATASET-MODEL", example: .string("lesions-dp"),
        check: nonEmpty)
    public static let headless = RunOption(
        "headless", .boolean, .output, help: "No console: one line per round (for scripts and CI).", example: .boolean(true))
    public static let json = RunOption(
        "json", .boolean, .output, help: "With --headless: print the engine's events as JSON lines.", example: .boolean(true))
}

// MARK: - Checks

extension RunOption {
    /// The secure-aggregation defaults the table's notes name (``SecureAggregationSettings``).
    public static let standardSecaggBits = SecureAggregationSettings().bits
    public static let standardSecaggRange = SecureAggregationSettings().clipRange
    public static let standardClientClip = plan.clientClip

    /// A 32-bit setting as the number its text says (0.05, not 0.05000000074505806).
    private static func widened(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    private static func integer(_ check: @escaping @Sendable (Int) -> String?) -> @Sendable (Value) -> String? {
        { $0.integer.flatMap(check) }
    }
    private static func number(_ check: @escaping @Sendable (Double) -> String?) -> @Sendable (Value) -> String? {
        { $0.number.flatMap(check) }
    }
    private static func string(_ check: @escaping @Sendable (String) -> String?) -> @Sendable (Value) -> String? {
        { $0.string.flatMap(check) }
    }
    private static func atLeast(_ minimum: Int) -> @Sendable (Value) -> String? {
        integer { $0 >= minimum ? nil : "must be at least \(minimum), got \($0)" }
    }
    private static let positive = number { $0 > 0 && $0.isFinite ? nil : "must be positive, got \($0)" }
    private static let nonNegative = number { $0 >= 0 && $0.isFinite ? nil : "must be ≥ 0, got \($0)" }
    private static let fraction = number { $0 > 0 && $0 < 1 ? nil : "must be between 0 and 1 (exclusive), got \($0)" }
    private static let nonEmpty = string { $0.isEmpty ? "must not be empty" : nil }
    private static let remoteAddresses: @Sendable (Value) -> String? = { value in
        for address in value.strings ?? [] where (try? RemoteHospital.Endpoint(parsing: address)) == nil {
            return "must be addresses of the form grpcs://[NAME@]HOST:PORT, got \"\(address)\""
        }
        return nil
    }
}
