/// Where each panel goes for a terminal size: compact from 80×24, wide from 120×32 (training,
/// privacy and aggregator side by side; hospitals beside the log), and too small below 80×24.
///
/// On wide screens the hospitals table takes the width it needs (`hospitalsWidth`, its natural
/// width, at most 3/5 of the screen) and the log every column it leaves.
public struct Layout: Sendable, Equatable {
    public enum Kind: String, Sendable { case tooSmall, compact, wide }

    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var kind: Kind
    public var width: Int
    public var height: Int
    public var header = Rect(x: 0, y: 0, width: 0, height: 0)
    public var training = Rect(x: 0, y: 0, width: 0, height: 0)
    public var privacy = Rect(x: 0, y: 0, width: 0, height: 0)
    public var aggregator = Rect(x: 0, y: 0, width: 0, height: 0)
    public var hospitals = Rect(x: 0, y: 0, width: 0, height: 0)
    public var log = Rect(x: 0, y: 0, width: 0, height: 0)
    public var footer = Rect(x: 0, y: 0, width: 0, height: 0)

    public init(width: Int, height: Int, hospitalsWidth natural: Int? = nil) {
        self.width = width
        self.height = height
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else {
            kind = .tooSmall
            return
        }
        header = Rect(x: 0, y: 0, width: width, height: 1)
        footer = Rect(x: 0, y: height - 1, width: width, height: 1)
        let body = height - 2
        if width >= 120 && height >= 32 {
            kind = .wide
            let top = body * 9 / 20
            let trainingWidth = width / 2
            let privacyWidth = (width - trainingWidth) / 2
            training = Rect(x: 0, y: 1, width: trainingWidth, height: top)
            privacy = Rect(x: trainingWidth, y: 1, width: privacyWidth, height: top)
            aggregator = Rect(x: trainingWidth + privacyWidth, y: 1, width: width - trainingWidth - privacyWidth, height: top)
            let hospitalsWidth = min(width * 3 / 5, max(40, natural ?? width))
            hospitals = Rect(x: 0, y: 1 + top, width: hospitalsWidth, height: body - top)
            log = Rect(x: hospitalsWidth, y: 1 + top, width: width - hospitalsWidth, height: body - top)
        } else {
            kind = .compact
            let extra = body - 22
            let top = 8 + extra * 2 / 5
            let hospitalsHeight = 6 + extra * 2 / 5
            let privacyWidth = max(36, width * 9 / 20)
            training = Rect(x: 0, y: 1, width: width - privacyWidth, height: top)
            privacy = Rect(x: width - privacyWidth, y: 1, width: privacyWidth, height: top)
            aggregator = Rect(x: 0, y: 1 + top, width: width, height: 4)
            hospitals = Rect(x: 0, y: 5 + top, width: width, height: hospitalsHeight)
            log = Rect(x: 0, y: 5 + top + hospitalsHeight, width: width, height: body - 4 - top - hospitalsHeight)
        }
    }

    /// Every panel by name (for snapshots).
    public var panels: [(name: String, rect: Rect)] {
        [("header", header), ("training", training), ("privacy", privacy), ("aggregator", aggregator),
         ("hospitals", hospitals), ("log", log), ("footer", footer)]
    }
}
