import Foundation
import Logging
import PerkJSON

/// `--log-format json`: one JSON object per line on stderr (time, level, label, message and the
/// metadata, such as Hummingbird's `hb.request.id`), for log collectors.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var o = JSONObject()
        o.appendUnique("time", .string(ISO8601DateFormatter().string(from: Date())))
        o.appendUnique("level", .string(event.level.rawValue))
        o.appendUnique("label", .string(label))
        o.appendUnique("message", .string(event.message.description))
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }).sorted(by: {
            $0.key < $1.key
        }) {
            o[k] = .string(v.description)
        }
        FileHandle.standardError.write(Data((JSON.object(o).text + "\n").utf8))
    }
}
