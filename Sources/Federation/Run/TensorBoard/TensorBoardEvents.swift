import Foundation
import SwiftProtobuf

/// TensorBoard's event files (`RUN/tb/events.out.tfevents.*`): TFRecord-framed `Event` protobufs
/// (``TFRecord``), the first carrying the file version `brain.Event:2`, the others scalar or text
/// summaries at a step.
///
/// Contract: ``event(scalars:step:wallTime:)`` and ``event(text:tag:step:wallTime:)`` are the bytes of
/// one framed record; ``read(_:)`` parses a whole file back (the checksums verified) into its scalars
/// and texts, so the files are tested by reading them, in Swift and with TensorBoard's own reader.
public enum TensorBoardEvents {
    public static let fileVersion = "brain.Event:2"

    /// The first record of every event file.
    public static func header(wallTime: Double) -> [UInt8] {
        frame(Tensorboard_Event.with {
            $0.wallTime = wallTime
            $0.fileVersion = fileVersion
        })
    }

    /// Scalars at `step`, one `Summary.Value` each, in the scalars plugin's form (`simple_value`).
    public static func event(scalars: [(tag: String, value: Double)], step: Int, wallTime: Double) -> [UInt8] {
        frame(Tensorboard_Event.with { e in
            e.wallTime = wallTime
            e.step = Int64(step)
            e.summary = .with { s in
                s.value = scalars.map { scalar in
                    .with {
                        $0.tag = scalar.tag
                        $0.simpleValue = Float(scalar.value)
                    }
                }
            }
        })
    }

    /// A text summary at `step` (the text plugin: a string tensor of shape [1]).
    public static func event(text: String, tag: String, step: Int, wallTime: Double) -> [UInt8] {
        frame(Tensorboard_Event.with { e in
            e.wallTime = wallTime
            e.step = Int64(step)
            e.summary = .with { s in
                s.value = [.with {
                    $0.tag = tag
                    $0.metadata = .with { $0.pluginData = .with { $0.pluginName = "text" } }
                    $0.tensor = .with {
                        $0.dtype = 7  // DT_STRING
                        $0.tensorShape = .with { $0.dim = [.with { $0.size = 1 }] }
                        $0.stringVal = [Data(text.utf8)]
                    }
                }]
            }
        })
    }

    static func frame(_ event: Tensorboard_Event) -> [UInt8] {
        // Serialising a message built here cannot fail (no required fields, no unknown types).
        TFRecord.frame(Array((try? event.serializedBytes() as [UInt8]) ?? []))
    }

    /// What an event file holds.
    public struct Contents: Sendable, Equatable {
        public var fileVersion: String?
        public var scalars: [Scalar] = []
        public var texts: [Text] = []

        public struct Scalar: Sendable, Equatable {
            public var tag: String
            public var step: Int
            public var value: Float
            public var wallTime: Double
        }

        public struct Text: Sendable, Equatable {
            public var tag: String
            public var step: Int
            public var text: String
        }
    }

    /// Reads an event file's bytes; throws for a corrupt record or an event that does not parse.
    public static func read(_ bytes: [UInt8]) throws -> Contents {
        var contents = Contents()
        for record in try TFRecord.records(in: bytes) {
            let event = try Tensorboard_Event(serializedBytes: record)
            switch event.what {
            case .fileVersion(let v): contents.fileVersion = v
            case .summary(let summary):
                for value in summary.value {
                    switch value.value {
                    case .simpleValue(let v):
                        contents.scalars.append(.init(tag: value.tag, step: Int(event.step), value: v, wallTime: event.wallTime))
                    case .tensor(let t):
                        for s in t.stringVal {
                            contents.texts.append(.init(tag: value.tag, step: Int(event.step), text: String(decoding: s, as: UTF8.self)))
                        }
                    case nil: break
                    }
                }
            case nil: break
            }
        }
        return contents
    }
}
