import Console
import Federation
import Foundation
import Privacy

extension FederationSetup {
    /// What the console shows about the hospitals besides their events.
    var consoleFacts: FederationFacts {
        var rate: Double?
        if case .rate(let q) = plan.selection, plan.privacy.clientLevel { rate = q }
        return FederationFacts(
            hospitals: hospitals.map { h in
                let summary = try? h.summary()
                return .init(name: h.name, location: h.location.description, records: h.trainRecords,
                             testRecords: summary?.testRecords ?? 0, policy: summary?.policy?.summary,
                             training: summary?.adversarial.map { "adversarial \($0)" })
            },
            privacy: plan.privacy, clientSampleRate: rate, secureAggregation: plan.secureAggregation != nil,
            majorityBaseline: majorityBaseline)
    }

    /// The majority-class baseline of the accuracy the console plots: the hospitals' pooled test
    /// sets (what their evaluations average over). Nil with remote hospitals, whose test sets'
    /// classes this process does not know.
    var majorityBaseline: Double? {
        guard remoteHospitals.isEmpty, !localHospitals.isEmpty else { return nil }
        var pooled: [Int] = []
        for h in localHospitals {
            let counts = h.auditRecords.test.classCounts
            if pooled.count < counts.count { pooled += [Int](repeating: 0, count: counts.count - pooled.count) }
            for (i, c) in counts.enumerated() { pooled[i] += c }
        }
        return FederationFacts.majorityShare(classCounts: pooled)
    }

    var privacyProjection: LedgerProjection {
        var rate: Double?
        if case .rate(let q) = plan.selection { rate = q }
        return LedgerProjection(hospitals: hospitals, batchSize: plan.batchSize, localEpochs: plan.localEpochs, delta: plan.delta,
                                budget: plan.epsilon ?? .infinity, privacy: plan.privacy,
                                federationLedgerPath: plan.privacy.clientLevel ? directory + "/ledgers/federation.ledger" : nil,
                                clientSampleRate: rate, initialClientNoise: plan.clientNoise,
                                distributedNoise: distributedNoiseTemplate)
    }

    /// Runs the federation under the live console; after the terminal is restored, prints where the
    /// run and any recordings are. `q` (confirmed), SIGINT and SIGTERM stop the engine after its
    /// round, so the last checkpoint is complete.
    func runConsole(_ console: ConsoleOptions, record: String?) throws -> RunOutcome {
        let term = ProcessInfo.processInfo.environment["TERM"]
        if TerminalEntry.resolve(term: term, known: TerminalDriver.hasEntry) == nil {
            FileHandle.standardError.write(Data("fedtop: \(TerminalEntry.noEntryNote(term: term))\n".utf8))
            return try runHeadless()
        }
        let terminal = TerminalDriver()
        let subscription = engine.bus.subscribe(capacity: 4096)
        let engine = self.engine
        let feed = EngineFeed(subscription: subscription) { engine.send($0) }
        let session = ConsoleSession(feed: feed, facts: consoleFacts, projection: privacyProjection,
                                     options: console.sessionOptions(title: "fedtop \(plan.name ?? plan.dataset)", record: record,
                                                                     recordingDirectory: directory), terminal: terminal)
        engine.start(onDivergence: .pause)  // someone is watching: hold a diverging run for them
        let end: ConsoleSession.End
        do {
            end = try session.run()
        } catch {
            engine.send(.stop)
            engine.wait()
            _ = recorder.finish()
            throw RunError("the console could not run: \(error) (use --headless for line output)")
        }
        if let note = terminal.note { FileHandle.standardError.write(Data("fedtop: note: \(note)\n".utf8)) }
        if end == .abandoned {
            // A second interrupt: leave now. What matters is already on disk — each hospital's ledger
            // records a round's privacy spend (fsynced) before the round trains, and checkpoints are
            // written whole (temporary file, fsync, rename) — so nothing is lost but the round in flight.
            engine.send(.stop)
            for problem in session.problems { FileHandle.standardError.write(Data("fedtop: warning: \(problem)\n".utf8)) }
            for cast in session.recordings { print("fedtop: recorded \(cast) (journal \(AsciicastRecorder.journalPath(for: cast)))") }
            print("fedtop: left without waiting for round \(session.finalModel.lastCompletedRound + 1) to end; every privacy "
                  + "spend is already in the ledgers (written before training), and the last complete checkpoint is in \(directory)")
            fflush(nil)
            exit(130)
        }
        if end == .interrupted { engine.send(.stop) }
        if engine.phase.isTerminal == false { print("fedtop: stopping after the current round…") }
        fflush(nil)
        let outcome = engine.wait()
        session.absorbRemainingEvents()
        let summary = RunSummary(session.finalModel, directory: directory)
        print("fedtop: \(summary.headline)")
        // Wrapped to the terminal, at spaces (the terminal would cut words).
        var window = winsize()
        let width = ioctl(1, UInt(TIOCGWINSZ), &window) == 0 && window.ws_col >= 40 ? Int(window.ws_col) : 100
        for line in summary.lines {
            for row in Fit.wrap(line, width: width - 2, indent: 2) { print("  \(row)") }
        }
        for problem in recorder.finish() + session.problems {
            FileHandle.standardError.write(Data("fedtop: warning: \(problem)\n".utf8))
        }
        for cast in session.recordings {
            print("fedtop: recorded \(cast) (journal \(AsciicastRecorder.journalPath(for: cast)))")
        }
        print("fedtop: \(outcome.rawValue); the last checkpoint is in \(directory)")
        return outcome
    }
}
