import Foundation
import PerkEngine

/// An application's time zone (an IANA name, `Europe/Berlin`) as the offset from UTC at an
/// instant, which rules see their `now()` in. Unknown names are UTC.
enum TimeZones {
    static func offset(_ identifier: String, at time: Timestamp) -> Int32 {
        guard let zone = TimeZone(identifier: identifier) else { return 0 }
        return Int32(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time.microseconds) / 1_000_000)))
    }
}
