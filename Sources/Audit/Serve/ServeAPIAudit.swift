import Datasets
import Foundation
import TensorCore

/// `fedtop audit serve`: the served API attacked from outside, as the capstone attacks its secure
/// inference layer, and reported as the other audits are (``AuditReport``).
///
/// The attacks, in the order they run (the throttling ones last, so they do not slow the others):
/// 1. **Sponge and malformed inputs** — numbers beyond Float32, subnormals, z-scores past the bound,
///    wrong lengths, oversized batches and bodies, 10,000-digit numbers, deep nesting, non-JSON: each
///    must be refused with a 4xx, never answered and never a 5xx; refusal latency against an answer's.
/// 2. **Membership inference through the API** (with the run's records): the loss-threshold attack
///    (Yeom et al. 2018) on the probabilities `/v1/predict` returns for members and non-members, beside
///    the same attack on the model itself — the API gives away exactly what the model does.
/// 3. **Evasion through the API** (with the run's records and model): FGSM (Goodfellow et al. 2015)
///    and PGD (Madry et al. 2018) examples crafted on the model, sent to the API: the accuracy of its
///    answers and how many the input validation refused.
/// 4. **Rate-limit exhaustion** — the key's own requests until a 429 with `Retry-After`, then again
///    after waiting that long.
/// 5. **Key brute force** — random well-formed keys until the address is throttled.
///
/// Contract: every finding is measured against the live server; a verdict is `held` or `FAILED`
/// (or `not run`), never inferred. Records for attacks 2–3 are given by the caller (``RunRecords``).
public struct ServeAPIAudit: Sendable {
    /// The run's records and model, for the attacks that need them.
    public struct RunRecords: Sendable {
        public var model: Sequential
        public var targets: MembershipTargets
        /// Held-out records for evasion.
        public var test: Dataset
        public var perturbations: [Double]
        public var seed: UInt64

        public init(model: Sequential, targets: MembershipTargets, test: Dataset, perturbations: [Double], seed: UInt64) {
            self.model = model
            self.targets = targets
            self.test = test
            self.perturbations = perturbations
            self.seed = seed
        }
    }

    public var client: any ServeAttackClient
    public var url: String
    public var token: String
    public var records: RunRecords?
    /// Random keys tried at most.
    public var guesses = 100
    /// The key's requests sent at most while waiting for its rate limit.
    public var floodLimit = 5_000
    public var command: String

    public init(client: any ServeAttackClient, url: String, token: String, records: RunRecords?, command: String) {
        self.client = client
        self.url = url
        self.token = token
        self.records = records
        self.command = command
    }

    /// The model card's facts the attacks need.
    struct Card {
        var features: Int
        var maxBatch: Int
        /// The audit key's bucket size: no batch may cost more.
        var burst: Int
        var maxBodyBytes: Int
        /// Records a request carries in the attacks that send many.
        var batch: Int { max(1, min(maxBatch, burst)) }
        var maxAbsZ: Double
        var maxRecordVariance: Double
        var classes: [String]
        var run: String
    }

    public func run(log: @Sendable (String) -> Void) async throws -> AuditReport {
        let card = try await modelCard()
        log("model card: \(card.run), \(card.features) features, classes \(card.classes.joined(separator: ", "))")
        var sections: [ReportSection] = []
        log("sponge and malformed inputs")
        sections.append(try await sponge(card))
        if let records {
            guard records.targets.members.classNames.count == card.classes.count else {
                throw AuditError.invalidInput("the run has \(records.targets.members.classNames.count) classes; the served model has \(card.classes.count): --run is not the served run")
            }
            guard records.targets.members.features.count / max(1, records.targets.count) == card.features else {
                throw AuditError.invalidInput("the run's records have \(records.targets.members.features.count / max(1, records.targets.count)) features; the served model takes \(card.features): --run is not the served run")
            }
            // The server refuses a record with a value past its z-score bound; the run's own records can
            // have such values (standardised per hospital, without --feature-clip). They are clipped to the
            // bound here, for the model and the API alike, and counted in the report.
            let bound = Float(card.maxAbsZ)
            let (members, clippedMembers) = Self.clipped(records.targets.members, to: bound)
            let (nonMembers, clippedNonMembers) = Self.clipped(records.targets.nonMembers, to: bound)
            let (test, clippedTest) = Self.clipped(records.test, to: bound)
            var inBounds = records
            inBounds.targets = try MembershipTargets(members: members, nonMembers: nonMembers)
            inBounds.test = test
            log("membership inference through the API (\(records.targets.count) members, as many non-members)")
            var section = try await membership(card, inBounds)
            section.paragraphs.append("\(clippedMembers) members, \(clippedNonMembers) non-members and \(clippedTest) evasion records had a value past the server's bound (±\(card.maxAbsZ)) and were clipped to it before the attacks; the server refuses such records as they are.")
            sections.append(section)
            log("evasion through the API (FGSM and PGD-10 on \(records.test.count) held-out records)")
            sections.append(try await evasion(card, inBounds))
        } else {
            sections.append(ReportSection(title: "Membership inference and evasion through the API", paragraphs: [
                "Not run: give --run DIR (the served run) so the audit has members, non-members and the model to craft examples on.",
            ]))
        }
        log("rate-limit exhaustion with the audit's key")
        sections.append(try await flood(card))
        log("key brute force (\(guesses) random keys)")
        sections.append(try await bruteForce())
        return AuditReport(title: "fedtop audit serve — \(url)", setup: [
            "Server: \(url), serving \(card.run) (\(card.features) features; classes \(card.classes.joined(separator: ", "))).",
            "Reproduce: \(command)",
        ], sections: sections)
    }

    // MARK: - The model card

    func modelCard() async throws -> Card {
        let answer = try await client.send(method: "GET", path: "/v1/model", token: token, body: nil)
        if answer.status == 429 {
            throw AuditError.invalidInput("GET \(url)/v1/model answered 429 (Retry-After \(answer.retryAfter.map { "\($0) s" } ?? "not given")): "
                                          + "this address or key is throttled (an earlier audit's brute force?); wait and run again")
        }
        // The card is the server's word: every number is range-checked before the attacks size anything by it.
        guard answer.status == 200, let card = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              let features = card["features"] as? [String: Any], let count = features["count"] as? Int, (1...1_000_000).contains(count),
              let limits = card["limits"] as? [String: Any], let maxBatch = limits["maxBatch"] as? Int, maxBatch >= 1,
              let maxBody = limits["maxBodyBytes"] as? Int, maxBody >= 1
        else {
            throw AuditError.invalidInput("GET \(url)/v1/model answered \(answer.status)\(answer.code.map { " (\($0))" } ?? "") without a usable model card: "
                                          + "the key must have the predict scope")
        }
        let classes = card["classes"] as? [String] ?? []
        let run = (card["run"] as? [String: Any])?["name"] as? String ?? "?"
        let burst = max(1, (limits["rateLimit"] as? [String: Any])?["burst"] as? Int ?? maxBatch)
        let maxAbsZ = (features["maxAbsZ"] as? Double).flatMap { $0.isFinite && $0 > 0 ? min($0, 1e30) : nil } ?? 10
        let maxVariance = (features["maxRecordVariance"] as? Double).flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? .infinity
        return Card(features: count, maxBatch: min(maxBatch, 10_000), burst: min(burst, 10_000), maxBodyBytes: min(maxBody, 256 << 20),
                    maxAbsZ: maxAbsZ, maxRecordVariance: maxVariance,
                    classes: classes, run: run)
    }

    // MARK: - 1. Sponge and malformed inputs

    func sponge(_ card: Card) async throws -> ReportSection {
        let n = card.features
        func record(_ first: String, rest: String = "0") -> String { "[" + ([first] + Array(repeating: rest, count: n - 1)).joined(separator: ",") + "]" }
        // Inside both bounds: |x| ≤ the z bound and a variance (at most the amplitude squared) under the sponge bound.
        let amplitude = 0.999 * min(card.maxAbsZ, card.maxRecordVariance.squareRoot())
        let alternating = "[" + (0..<n).map { $0 % 2 == 0 ? "\(amplitude)" : "\(-amplitude)" }.joined(separator: ",") + "]"
        // (what, body, answered): every hostile body must be refused; the control, a record at the edge of the
        // bounds, must be answered (the bounds are the boundary, not a blanket refusal).
        let cases: [(String, String, Bool)] = [
            ("a number beyond Float32 (1e39)", "{\"records\":[\(record("1e39"))]}", false),
            ("a subnormal (1e-45)", "{\"records\":[\(record("1e-45"))]}", false),
            ("a z-score 100× past the bound", "{\"records\":[\(record("\(card.maxAbsZ * 100)"))]}", false),
            ("control: every value at ±\(String(format: "%.3g", amplitude)), inside both bounds", "{\"records\":[\(alternating)]}", true),
            ("one value too many", "{\"records\":[\(record("0"))".dropLast() + ",0]]}", false),
            ("no records", "{\"records\":[]}", false),
            ("a batch of \(card.maxBatch + 1) records", "{\"records\":[" + Array(repeating: record("0"), count: card.maxBatch + 1).joined(separator: ",") + "]}", false),
            ("a 10,000-digit number", "{\"records\":[\(record(String(repeating: "9", count: 10_000)))]}", false),
            ("arrays nested 10,000 deep", "{\"records\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}", false),
            ("NaN and Infinity literals", "{\"records\":[\(record("NaN", rest: "Infinity"))]}", false),
            ("not JSON", "records=1,2,3", false),
            ("a body over the size limit", "{\"records\":[[" + String(repeating: "0,", count: card.maxBodyBytes / 2 + 16) + "0]]}", false),
        ]
        let baseline = try await client.send(method: "POST", path: "/v1/predict", token: token, body: Array("{\"records\":[\(record("0"))]}".utf8))
        var rows: [[String]] = [], failed: [String] = []
        for (name, body, answered) in cases {
            var answer = try await client.send(method: "POST", path: "/v1/predict", token: token, body: Array(body.utf8))
            if answer.status == 429, let wait = answer.retryAfter, wait <= 60 {  // the key's own bucket, not a verdict
                try await Task.sleep(nanoseconds: UInt64(max(1, wait)) * 1_000_000_000)
                answer = try await client.send(method: "POST", path: "/v1/predict", token: token, body: Array(body.utf8))
            }
            let held = answered ? answer.status == 200 : (400..<500).contains(answer.status) && answer.status != 429
            if !held { failed.append(name) }
            rows.append([name, Self.bytes(body.utf8.count), "\(answer.status)", answer.code ?? "-", String(format: "%.2f", answer.seconds * 1000),
                         held ? "held" : "FAILED"])
        }
        let slowest = rows.compactMap { Double($0[4]) }.max() ?? 0
        return ReportSection(title: "Sponge and malformed inputs", paragraphs: [
            "Each body is sent to POST /v1/predict with the audit's key. A defence holds when the server refuses the body with a 4xx other than 429 (a 429 only means the key ran out: the body is sent again after Retry-After) — never an answer, never a 5xx; the control, a record at the edge of the bounds, must be answered. With the default bounds (|z| ≤ 10, variance ≤ 100) no in-range record can exceed the variance bound: the range check is the sponge defence that binds.",
            failed.isEmpty ? "All \(cases.count - 1) hostile bodies were refused and the control was answered. The slowest refusal took \(String(format: "%.2f", slowest)) ms; a normal one-record answer took \(String(format: "%.2f", baseline.seconds * 1000)) ms (status \(baseline.status))."
                : "NOT refused: \(failed.joined(separator: "; ")).",
        ], tables: [ReportTable(name: "sponge-inputs", caption: "Hostile bodies and the server's answers", columns: ["input", "body", "status", "code", "ms", "verdict"], rows: rows)])
    }

    // MARK: - 2. Membership inference through the API

    func membership(_ card: Card, _ records: RunRecords) async throws -> ReportSection {
        let members = try await probabilities(card, records.targets.members.features)
        let nonMembers = try await probabilities(card, records.targets.nonMembers.features)
        // −loss; a probability list too short for the label (a server that answers other classes) scores as certain non-membership.
        func scores(_ p: [[Double]], _ labels: [Int]) -> [Double] { zip(p, labels).map { $1 < $0.count && $0[$1].isFinite ? log(max($0[$1], 1e-300)) : -.infinity } }
        let viaAPI = try ROCCurve(memberScores: scores(members, records.targets.members.labels),
                                  nonMemberScores: scores(nonMembers, records.targets.nonMembers.labels))
        let local = try LossThresholdAttack.run(model: records.model, targets: records.targets, target: "model").roc
        let gap = abs(viaAPI.auc - local.auc)
        let rows = [["through the API", String(format: "%.4f", viaAPI.auc), String(format: "%.4f", viaAPI.truePositiveRate(atFalsePositiveRate: 0.01))],
                    ["on the model itself", String(format: "%.4f", local.auc), String(format: "%.4f", local.truePositiveRate(atFalsePositiveRate: 0.01))]]
        return ReportSection(title: "Membership inference through the API", paragraphs: [
            "The loss-threshold attack (Yeom et al. 2018) on \(records.targets.count) training records and as many records the model never saw, scored by the probability POST /v1/predict gives the true class.",
            "AUC through the API \(String(format: "%.4f", viaAPI.auc)) against \(String(format: "%.4f", local.auc)) on the model (difference \(String(format: "%.1e", gap))): the API's probabilities leak what the model's do, bounded only by the DP-SGD guarantee the model was trained under (0.5 is a coin). Labels from POST /v1/predict/private are report-noisy-max and paid from the key's ε budget.",
        ], tables: [ReportTable(name: "membership-api", caption: "Loss-threshold membership inference", columns: ["attack", "AUC", "TPR at 1% FPR"], rows: rows)],
           charts: [ReportChart(name: "membership-api-roc", title: "ROC of membership inference through the API", xLabel: "false positive rate", yLabel: "true positive rate",
                                xRange: 0...1, yRange: 0...1, diagonal: true,
                                series: [ChartSeries(label: "API", points: viaAPI.thinned()), ChartSeries(label: "model", points: local.thinned())])])
    }

    // MARK: - 3. Evasion through the API

    func evasion(_ card: Card, _ records: RunRecords) async throws -> ReportSection {
        var rows: [[String]] = [], series: [String: [ChartPoint]] = [:]
        for attack in [AdversarialAttack.fgsm, .pgd(steps: 10, stepSize: nil, randomStart: false)] {
            for epsilon in records.perturbations {
                let adversarial = AdversarialExamples.perturb(model: records.model, inputs: records.test.features, labels: records.test.labels, epsilon: epsilon,
                                                  attack: attack, seed: records.seed)
                let local = Evasion.accuracy(model: records.model, inputs: adversarial, labels: records.test.labels)
                var correct = 0, answered = 0, refused = 0
                let perRecord = adversarial.count / max(1, records.test.count)
                let values = adversarial.scalars
                for start in stride(from: 0, to: records.test.count, by: card.batch) {
                    let end = min(records.test.count, start + card.batch)
                    let batch = (start..<end).map { Array(values[$0 * perRecord..<($0 + 1) * perRecord]) }
                    let answer = try await predict(batch)
                    if let classes = answer.classes {
                        answered += classes.count
                        correct += zip(classes, records.test.labels[start..<end]).filter { $0 == $1 }.count
                    } else {
                        refused += batch.count
                    }
                }
                let served = Double(correct) / Double(max(1, records.test.count))
                rows.append([attack.name, String(format: "%.2f", epsilon), String(format: "%.3f", local), String(format: "%.3f", served), "\(answered)", "\(refused)"])
                series["\(attack.name) via API", default: []].append(ChartPoint(x: epsilon, y: served))
                series["\(attack.name) on the model", default: []].append(ChartPoint(x: epsilon, y: local))
            }
        }
        return ReportSection(title: "Evasion through the API", paragraphs: [
            "Adversarial examples crafted on the model (white-box: the auditor holds the signed checkpoint) for \(records.test.count) held-out records, each perturbation in standard deviations of every feature (L∞), sent to POST /v1/predict in batches of \(card.batch). A batch with a record past the z-score bound (±\(card.maxAbsZ)) is refused whole, so its records count as not answered correctly.",
            "The API answers what the model answers: input validation stops only perturbations that leave the training data's range, and evasion inside it is a property of the model (adversarial training is not part of fedtop).",
        ], tables: [ReportTable(name: "evasion-api", caption: "Accuracy under attack, on the model and through the API", columns: ["attack", "perturbation", "accuracy (model)", "accuracy (API)", "answered", "refused"], rows: rows)],
           charts: [ReportChart(name: "evasion-api-accuracy", title: "Accuracy under attack", xLabel: "perturbation (standard deviations)", yLabel: "accuracy",
                                yRange: 0...1, series: series.keys.sorted().map { ChartSeries(label: $0, points: series[$0]!) })])
    }

    // MARK: - 4. Rate-limit exhaustion

    func flood(_ card: Card) async throws -> ReportSection {
        let body = Array("{\"records\":[[\(Array(repeating: "0", count: card.features).joined(separator: ","))]]}".utf8)
        var answered = 0, limited: ServeExchange?, other: [Int: Int] = [:]
        let start = Date()
        for _ in 0..<floodLimit {
            let answer = try await client.send(method: "POST", path: "/v1/predict", token: token, body: body)
            if answer.status == 200 { answered += 1 } else if answer.status == 429 { limited = answer; break } else { other[answer.status, default: 0] += 1 }
        }
        let seconds = Date().timeIntervalSince(start)
        var rows = [["answered before the limit", "\(answered) in \(String(format: "%.2f", seconds)) s"]]
        var paragraphs = ["The audit's own key sends one-record predictions back to back until the server says 429 (at most \(floodLimit))."]
        var held = false
        if let limited {
            rows.append(["refused", "429 \(limited.code ?? "-"), Retry-After \(limited.retryAfter.map { "\($0) s" } ?? "missing")"])
            if let wait = limited.retryAfter, wait <= 60 {
                try await Task.sleep(nanoseconds: UInt64(max(1, wait)) * 1_000_000_000)
                let again = try await client.send(method: "POST", path: "/v1/predict", token: token, body: body)
                rows.append(["after waiting \(wait) s", "\(again.status)"])
                held = again.status == 200
                paragraphs.append(held ? "The key was limited with a usable Retry-After, and served again after waiting it." : "After waiting Retry-After the key was still refused (\(again.status)).")
            } else {
                held = limited.retryAfter != nil
                paragraphs.append("The key was limited; Retry-After \(limited.retryAfter.map { "\($0) s" } ?? "missing") (not waited for).")
            }
        } else {
            paragraphs.append("No 429 within \(floodLimit) requests: this key's rate is above what one client sent here. Issue keys with the rate their users need (`fedtop serve keys add --rate`).")
        }
        if !other.isEmpty { rows.append(["other statuses", other.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")]) }
        rows.append(["verdict", held ? "held" : limited == nil ? "not reached" : "FAILED"])
        return ReportSection(title: "Rate-limit exhaustion", paragraphs: paragraphs,
                             tables: [ReportTable(name: "rate-limit", caption: "The key's token bucket under a flood", columns: ["what", "measured"], rows: rows)])
    }

    // MARK: - 5. Key brute force

    func bruteForce() async throws -> ReportSection {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var statuses: [Int: Int] = [:], firstThrottle: Int?, retryAfter: Int?
        for i in 0..<guesses {
            let id = (0..<12).map { _ in "0123456789abcdef".randomElement(using: &generator)! }
            let secret = (0..<43).map { _ in alphabet.randomElement(using: &generator)! }
            let answer = try await client.send(method: "GET", path: "/v1/model", token: "fedtop_\(String(id))_\(String(secret))", body: nil)
            statuses[answer.status, default: 0] += 1
            if answer.status == 429, firstThrottle == nil { firstThrottle = i + 1; retryAfter = answer.retryAfter }
        }
        let accepted = statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +)
        let held = accepted == 0 && firstThrottle != nil
        let verdict = accepted > 0 ? "FAILED" : held ? "held" : "not reached"
        let rows = statuses.sorted { $0.key < $1.key }.map { ["\($0.key)", "\($0.value)"] }
        return ReportSection(title: "Key brute force", paragraphs: [
            "\(guesses) random keys of the right form (fedtop_<12 hex>_<43 base64url>: 256 bits of secret) sent to GET /v1/model from one address.",
            accepted > 0 ? "FAILED: \(accepted) random keys were accepted."
                : firstThrottle.map { "Throttled from guess \($0) on (429, Retry-After \(retryAfter.map { "\($0) s" } ?? "missing")): the address's failures are limited before its guesses are checked. Verdict: held." }
                ?? "Every guess was refused (401); the address was not throttled within \(guesses) guesses (the server's allowance of failures, --auth-failure-burst, may be larger, or it has none). Verdict: not reached.",
        ], tables: [ReportTable(name: "brute-force", caption: "Answers to random keys, by status (verdict: \(verdict))", columns: ["status", "guesses"], rows: rows)])
    }

    // MARK: - Helpers

    /// Each record's class probabilities from POST /v1/predict, in batches, waiting out 429s.
    func probabilities(_ card: Card, _ features: Tensor) async throws -> [[Double]] {
        let perRecord = features.count / max(1, features.shape[0])
        let values = features.scalars
        var out: [[Double]] = []
        for start in stride(from: 0, to: features.shape[0], by: card.batch) {
            let batch = (start..<min(features.shape[0], start + card.batch)).map { Array(values[$0 * perRecord..<($0 + 1) * perRecord]) }
            let answer = try await predict(batch)
            guard let p = answer.probabilities else {
                if answer.refusal?.hasPrefix("429") == true {
                    throw AuditError.invalidInput("POST /v1/predict kept answering 429: the key's rate limit is too slow to wait out; issue the audit a key with --rate 50 or more")
                }
                throw AuditError.invalidInput("POST /v1/predict refused the run's own records (\(answer.refusal ?? "no probabilities")): is --run the served run?")
            }
            out += p
        }
        return out
    }

    /// One prediction request, waiting out 429s (at least 1 s and at most a minute each, ten times at most); nil
    /// fields and the refusal when refused otherwise.
    func predict(_ batch: [[Float]]) async throws -> (classes: [Int]?, probabilities: [[Double]]?, refusal: String?) {
        let body = Array(("{\"records\":[" + batch.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]}").utf8)
        for attempt in 0... {
            let answer = try await client.send(method: "POST", path: "/v1/predict", token: token, body: body)
            if answer.status == 429, attempt < 10, let wait = answer.retryAfter, wait <= 60 {
                try await Task.sleep(nanoseconds: UInt64(max(1, wait)) * 1_000_000_000)
                continue
            }
            guard answer.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
                  let predictions = json["predictions"] as? [[String: Any]], predictions.count == batch.count else {
                return (nil, nil, "\(answer.status) \(answer.code ?? "")")
            }
            let classes = predictions.compactMap { $0["classIndex"] as? Int }
            let probabilities = predictions.compactMap { ($0["probabilities"] as? [NSNumber])?.map(\.doubleValue) }
            return (classes.count == batch.count ? classes : nil, probabilities.count == batch.count ? probabilities : nil, nil)
        }
        fatalError("unreachable: the loop returns")
    }

    /// The records with every value clipped to ±`bound`, and how many records had one past it.
    static func clipped(_ data: Dataset, to bound: Float) -> (Dataset, Int) {
        let perRecord = data.features.count / max(1, data.count)
        var values = data.features.scalars, touched = 0
        for r in 0..<data.count {
            var hit = false
            for i in r * perRecord..<(r + 1) * perRecord where abs(values[i]) > bound {
                values[i] = values[i] > 0 ? bound : -bound
                hit = true
            }
            if hit { touched += 1 }
        }
        return (Dataset(name: data.name, features: Tensor(shape: data.features.shape, scalars: values), labels: data.labels,
                        classNames: data.classNames), touched)
    }

    static func bytes(_ n: Int) -> String { n < 10_000 ? "\(n) B" : n < 10_000_000 ? "\(n / 1024) KiB" : "\(n >> 20) MiB" }
}
