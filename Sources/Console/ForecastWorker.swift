import Dispatch
import Federation
import Foundation

/// Projects the privacy budget off the console's thread: the final-ε forecast and the ε-per-round
/// path at the settings in force, and at a pending σ. A projection reads every hospital's ledger
/// (under locks shared with training) and composes RDP curves many times over (the path asks for
/// up to 30 rounds, "rounds left" searches), which takes far longer than a frame; done on the UI
/// thread it froze the screen for seconds at a time on long runs.
///
/// Contract: at most one projection runs at a time; a request made while one runs replaces any
/// waiting request (only the newest matters); ``take()`` returns each finished result once, the
/// newest, and never blocks on a projection in progress.
final class ForecastWorker: @unchecked Sendable {
    /// What to project: the settings in force, the rounds done and planned, and a pending σ.
    struct Request: Equatable, Sendable {
        var sigma: Double
        var clipNorm: Double
        var completedRound: Int
        var plannedRounds: Int
        var pendingSigma: Double?
    }

    struct Result: Sendable {
        var request: Request
        var forecast: PrivacyForecast?
        var path: [EpsilonPoint]
        var pendingForecast: PrivacyForecast?
        var pendingPath: [EpsilonPoint]
    }

    private let projection: any PrivacyProjection
    private let queue = DispatchQueue(label: "fedtop.console.forecast", qos: .utility)
    private let lock = NSLock()
    private var running = false
    private var waiting: Request?
    private var finished: Result?

    init(_ projection: any PrivacyProjection) {
        self.projection = projection
    }

    /// Starts projecting `request` (or queues it behind the projection in progress).
    func submit(_ request: Request) {
        lock.lock()
        defer { lock.unlock() }
        if running {
            waiting = request
            return
        }
        running = true
        start(request)
    }

    /// The newest finished result, once.
    func take() -> Result? {
        lock.lock()
        defer { lock.unlock() }
        let r = finished
        finished = nil
        return r
    }

    /// Whether a projection is running or waiting (tests wait on it).
    var busy: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running || waiting != nil
    }

    private func start(_ request: Request) {
        queue.async { [self] in
            let result = Self.project(projection, request)
            lock.lock()
            finished = result
            if let next = waiting {
                waiting = nil
                start(next)
            } else {
                running = false
            }
            lock.unlock()
        }
    }

    static func project(_ projection: any PrivacyProjection, _ r: Request) -> Result {
        let forecast = projection.forecast(noiseMultiplier: r.sigma, clipNorm: r.clipNorm, completedRound: r.completedRound,
                                           plannedRounds: r.plannedRounds)
        let path = EpsilonPath.project(projection, noiseMultiplier: r.sigma, clipNorm: r.clipNorm,
                                       completedRound: r.completedRound, plannedRounds: r.plannedRounds)
        var pendingForecast: PrivacyForecast?
        var pendingPath: [EpsilonPoint] = []
        if let p = r.pendingSigma {
            pendingForecast = projection.forecast(noiseMultiplier: p, clipNorm: r.clipNorm, completedRound: r.completedRound,
                                                  plannedRounds: r.plannedRounds)
            pendingPath = EpsilonPath.project(projection, noiseMultiplier: p, clipNorm: r.clipNorm,
                                              completedRound: r.completedRound, plannedRounds: r.plannedRounds)
        }
        return Result(request: r, forecast: forecast, path: path, pendingForecast: pendingForecast, pendingPath: pendingPath)
    }
}
