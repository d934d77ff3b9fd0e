import Federation

/// Everything one frame shows: the engine's state (``DashboardModel``), the operator's
/// (``ConsoleController``) and the session's (theme, recording, replay position).
public struct ConsoleView: Sendable, Equatable {
    public var model: DashboardModel
    public var controller: ConsoleController
    /// The projection for the pending σ change, when one is pending.
    public var pendingForecast: PrivacyForecast?
    /// The ε path over the remaining rounds at the settings in force, and at the pending σ
    /// (``EpsilonPath``); empty when not projected (a replay records only the final figures).
    public var forecastPath: [EpsilonPoint] = []
    public var pendingPath: [EpsilonPoint] = []
    public var themeName: String
    public var recording: Bool
    /// A replay's position and speed (`replay 1.0× 134/560`), nil live.
    public var replayStatus: String?
    /// A one-line message from the session (recording saved, theme problem).
    public var message: String?

    public init(model: DashboardModel, controller: ConsoleController = ConsoleController(), pendingForecast: PrivacyForecast? = nil,
                themeName: String = "default", recording: Bool = false, replayStatus: String? = nil, message: String? = nil) {
        self.model = model
        self.controller = controller
        self.pendingForecast = pendingForecast
        self.themeName = themeName
        self.recording = recording
        self.replayStatus = replayStatus
        self.message = message
    }
}
