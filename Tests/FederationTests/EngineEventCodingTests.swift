import Federation
import Privacy
import Foundation
import Testing

@Suite("Events as JSON: every field named, every kind round-trips")
struct EngineEventCodingTests {
    static let settings = RoundSettings(round: 2, localEpochs: 1, batchSize: 32, learningRate: 0.3, momentum: 0,
                                        samplePrivacy: .init(noiseMultiplier: 1.1, clipNorm: 1), proximalMu: 0)
    static let summary = RoundSummary(
        round: 2, selected: 3, aggregated: 2, trainLoss: 0.5,
        evaluation: EvaluationMetrics(count: 10, loss: 0.4, accuracy: 0.9, auc: 0.95), centralEvaluation: nil,
        hospitalEpsilon: ["h1": 1.2], federationEpsilon: nil, noiseMultiplier: 1.1, clipNorm: 1, seconds: 0.2,
        trainingSeconds: 0.15, aggregationSeconds: 0.01)
    static let description = RunDescription(
        name: "r", dataset: "wdbc", model: "mlp", parameters: 10, hospitals: ["h1", "h2"], rounds: 5, strategy: "fedavg",
        privacy: RunPrivacy(mode: .sample, sampleNoise: 1.1, sampleClip: 1), delta: 1e-5, epsilonBudget: 3, secureNoise: true,
        startRound: 1)

    static let kinds: [EngineEvent.Kind] = [
        .runStarted(description), .phaseChanged(.training(reported: 1, selected: 3)), .phaseChanged(.budgetExhausted),
        .roundStarted(selected: ["h1"], settings: settings), .progress(hospital: "h1", stepsDone: 1, stepsTotal: 4),
        .updateReceived(hospital: "h1", trainLoss: 0.5, clippedFraction: 0.25, epsilon: nil, seconds: 0.1),
        .updateReceived(hospital: "h2", trainLoss: 0.5, clippedFraction: 0.25, epsilon: 1.5, seconds: 0.1),
        .updateRejected(hospital: "h1", reason: "not finite"), .hospitalDropped(hospital: "h2", reason: "offline"),
        .hospitalBudgetExhausted(hospital: "h1", spent: 2.9, budget: 3), .roundCompleted(summary),
        .roundFailed(reason: "quorum"), .commandApplied(.setSampleNoise(try! SampleNoiseMultiplier(1.21)), effect: "σ 1.21 from round 3"),
        .commandApplied(.setClientNoise(try! ClientNoiseMultiplier(0.8)), effect: "z 0.8 from round 3"),
        .commandApplied(.setMalicious("h2", true), effect: "h2 flips its labels"), .commandApplied(.pause, effect: "paused"),
        .commandRefused(.dropHospital("zz"), reason: "no hospital zz"), .commandApplied(.setHospitalsPerRound(2), effect: "2"),
        .commandApplied(.setSampleClip(try! ClipNorm(0.5)), effect: "C"), .commandApplied(.setClientClip(try! ClipNorm(2)), effect: "S"), .commandApplied(.setLearningRate(0.1), effect: "lr"),
        .commandApplied(.restoreHospital("h2"), effect: "back"), .commandApplied(.resume, effect: ""),
        .commandApplied(.step, effect: ""), .commandApplied(.stop, effect: ""),
        .federationBudgetExhausted(spent: 3, budget: 3), .checkpointWritten(path: "/x/model.safetensors"),
        .warning("careful"), .runFinished(.budgetExhausted),
    ]

    @Test("every kind decodes to itself, and no unnamed `_0` field appears")
    func roundTrip() throws {
        for kind in Self.kinds {
            let event = EngineEvent(time: 1.5, wallTime: 1_800_000_000, round: 2, kind: kind)
            let data = try JSONEncoder().encode(event)
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains("\"_0\""), "\(text)")
            #expect(try JSONDecoder().decode(EngineEvent.self, from: data) == event)
        }
    }

    @Test("the documented paths: kind.phaseChanged.phase.name, kind.commandApplied.command.name and value")
    func paths() throws {
        func object(_ kind: EngineEvent.Kind) throws -> [String: Any] {
            let data = try JSONEncoder().encode(EngineEvent(time: 0, wallTime: 0, round: 1, kind: kind))
            let top = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(top["kind"] as? [String: Any])
        }
        let phase = try object(.phaseChanged(.training(reported: 3, selected: 5)))["phaseChanged"] as? [String: Any]
        let p = phase?["phase"] as? [String: Any]
        #expect(p?["name"] as? String == "training" && p?["reported"] as? Int == 3 && p?["selected"] as? Int == 5)
        let applied = try object(.commandApplied(.setSampleNoise(try SampleNoiseMultiplier(1.21)), effect: "e"))["commandApplied"] as? [String: Any]
        let command = applied?["command"] as? [String: Any]
        #expect(command?["name"] as? String == "setSampleNoise" && command?["value"] as? Double == 1.21)
        let warning = try object(.warning("w"))["warning"] as? [String: Any]
        #expect(warning?["message"] as? String == "w")
    }

    @Test("an unknown kind, command or phase is a decoding error naming it")
    func unknown() {
        let bad = [#"{"time":0,"wallTime":0,"round":1,"kind":{"exploded":{}}}"#,
                   #"{"time":0,"wallTime":0,"round":1,"kind":{"commandApplied":{"command":{"name":"reboot"},"effect":""}}}"#,
                   #"{"time":0,"wallTime":0,"round":1,"kind":{"phaseChanged":{"phase":{"name":"dancing"}}}}"#]
        for text in bad {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(EngineEvent.self, from: Data(text.utf8)) }
        }
    }

    @Test("journals of earlier versions still read: the one noise and clip commands as sample-level, the privacy line typed")
    func legacyJournals() throws {
        let noise = #"{"name":"setNoiseMultiplier","value":1.5}"#, clip = #"{"name":"setClipNorm","value":0.5}"#
        #expect(try JSONDecoder().decode(EngineCommand.self, from: Data(noise.utf8)) == .setSampleNoise(try SampleNoiseMultiplier(1.5)))
        #expect(try JSONDecoder().decode(EngineCommand.self, from: Data(clip.utf8)) == .setSampleClip(try ClipNorm(0.5)))
        // A NaN or negative value cannot be smuggled in through a journal.
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EngineCommand.self, from: Data(#"{"name":"setSampleNoise","value":-1}"#.utf8))
        }
        let old = #"{"name":"r","dataset":"wdbc","model":"mlp","parameters":10,"hospitals":["h1"],"rounds":5,"strategy":"fedavg","privacy":"both σ 2.97 C 1 z 0.8 S 1 q 0.5","delta":1e-05,"secureNoise":true,"startRound":1}"#
        let d = try JSONDecoder().decode(RunDescription.self, from: Data(old.utf8))
        #expect(d.privacy == RunPrivacy(mode: .both, sampleNoise: 2.97, sampleClip: 1, clientNoise: 0.8, clientClip: 1, clientSampleRate: 0.5))
        #expect(d.privacy.noiseMultiplier == 2.97 && RunPrivacy(legacy: "off").mode == .off)
    }
}
