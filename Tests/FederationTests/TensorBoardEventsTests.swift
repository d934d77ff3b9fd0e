import Foundation
import Testing
@testable import Federation

@Suite("TensorBoard event files: written by the run, read back")
struct TensorBoardEventsTests {
    @Test("a file's records read back: the version first, scalars with their step and wall time, texts")
    func roundTrip() throws {
        let file = TensorBoardEvents.header(wallTime: 100)
            + TensorBoardEvents.event(scalars: [("global/accuracy", 0.875), ("privacy/sigma", 1.25)], step: 3, wallTime: 101.5)
            + TensorBoardEvents.event(text: "σ 1.21 from round 4", tag: "commands", step: 3, wallTime: 102)
        let c = try TensorBoardEvents.read(file)
        #expect(c.fileVersion == "brain.Event:2")
        #expect(c.scalars == [.init(tag: "global/accuracy", step: 3, value: 0.875, wallTime: 101.5),
                              .init(tag: "privacy/sigma", step: 3, value: 1.25, wallTime: 101.5)])
        #expect(c.texts == [.init(tag: "commands", step: 3, text: "σ 1.21 from round 4")])
        var corrupt = file
        corrupt[corrupt.count - 10] ^= 0x40
        #expect(throws: (any Error).self) { try TensorBoardEvents.read(corrupt) }
    }

    @Test("non-finite values are left out; sizes and the kept share come from the round's communication")
    func scalarsOfARound() {
        var summary = RoundSummary(round: 2, selected: 3, aggregated: 3, trainLoss: .nan, evaluation: nil, centralEvaluation: nil,
                                   hospitalEpsilon: ["b": 0.5, "a": 0.25], federationEpsilon: nil, noiseMultiplier: 1.1,
                                   clipNorm: 1, seconds: 0.5, trainingSeconds: 0.4, aggregationSeconds: 0.01, rejected: 0,
                                   communication: RoundCommunication(parameters: 50, fullParameters: 100, selected: 3, delivered: 3))
        let tags = TensorBoardScalars.scalars(for: EngineEvent(time: 1, wallTime: 1, round: 2, kind: .roundCompleted(summary)))
        #expect(!tags.contains { $0.tag == "global/train_loss" })
        #expect(tags.first { $0.tag == "round/bytes" }?.value == 1200)
        #expect(tags.first { $0.tag == "round/kept_fraction" }?.value == 0.5)
        #expect(tags.filter { $0.tag.hasPrefix("hospital/") }.map(\.tag) == ["hospital/a/epsilon", "hospital/b/epsilon"])
        summary.communication?.bytesUp = Int.max
        let bad = TensorBoardScalars.scalars(for: EngineEvent(time: 1, wallTime: 1, round: 2, kind: .roundCompleted(summary)))
        #expect(!bad.contains { $0.tag == "round/bytes" })
    }

    /// A 3-round run on the fixture with its recorder: the run folder and every round's summary.
    func recordedRun() throws -> (directory: String, scratch: String, summaries: [RoundSummary], hospitals: [String]) {
        let fixture = try FederationFixture(hospitals: 3)
        let bus = EventBus()
        let directory = fixture.directory + "/run"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let recorder = try RunRecorder(directory: directory, bus: bus)
        let engine = try Engine(configuration: fixture.configuration(rounds: 3), model: fixture.model, hospitals: fixture.hospitals,
                                strategy: MeanStrategy(), bus: bus)
        let subscription = bus.subscribe(capacity: 100_000)
        engine.start()
        #expect(engine.wait() == .finished)
        #expect(recorder.finish().isEmpty)
        var summaries: [RoundSummary] = []
        while let e = subscription.next() { if case .roundCompleted(let s) = e.kind { summaries.append(s) } }
        return (directory, fixture.directory, summaries, fixture.hospitals.map(\.name))
    }

    /// The run's one event file, read by the Swift reader.
    func contents(_ directory: String) throws -> TensorBoardEvents.Contents {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/tb")
        #expect(files.count == 1 && files.first?.hasPrefix("events.out.tfevents.") == true)
        return try TensorBoardEvents.read(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/tb/" + (files.first ?? "")))))
    }

    @Test("a run's tb/ file holds every round's scalars as its summaries say, per hospital too")
    func fromARun() throws {
        let run = try recordedRun()
        let summaries = run.summaries
        let c = try contents(run.directory)
        #expect(c.fileVersion == TensorBoardEvents.fileVersion)
        #expect(summaries.count == 3)
        func value(_ tag: String, _ step: Int) -> Float? { c.scalars.first { $0.tag == tag && $0.step == step }?.value }
        for s in summaries {
            #expect(value("global/train_loss", s.round) == Float(s.trainLoss))
            #expect(value("global/accuracy", s.round) == s.evaluation.map { Float($0.accuracy) })
            #expect(value("privacy/sigma", s.round) == s.noiseMultiplier.map(Float.init))
            for (name, e) in s.hospitalEpsilon { #expect(value("hospital/\(name)/epsilon", s.round) == Float(e)) }
            for name in run.hospitals { #expect(value("hospital/\(name)/train_loss", s.round) != nil) }
        }
    }

    /// TensorBoard's own reader, where a Python with `tensorboard` is named by `FEDTOP_TENSORBOARD_PYTHON`.
    static let python = ProcessInfo.processInfo.environment["FEDTOP_TENSORBOARD_PYTHON"]

    @Test("TensorBoard's EventAccumulator reads the same scalars as the Swift reader, every tag and step",
          .enabled(if: python != nil, "set FEDTOP_TENSORBOARD_PYTHON to a Python with tensorboard installed"))
    func eventAccumulatorAgrees() throws {
        let run = try recordedRun()
        let directory = run.directory
        let script = run.scratch + "/read.py"
        try """
        import sys, json
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
        acc.Reload()
        print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = [script, directory + "/tb"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let theirs = try #require(try JSONSerialization.jsonObject(with: output) as? [String: [[Double]]])
        let ours = try contents(directory)
        #expect(Set(theirs.keys) == Set(ours.scalars.map(\.tag)))
        // Compared as the Float32 values the files hold (the JSON's decimal digits are Python's shortest form of a double).
        for (tag, points) in theirs {
            let mine = ours.scalars.filter { $0.tag == tag }.map { [Float($0.step), $0.value] }
            #expect(points.map { $0.map(Float.init) } == mine, "\(tag)")
        }
    }
}
