/// A map with string keys kept in insertion order, for the small objects of API payloads and
/// rule contexts: lookups compare a few short keys, which beats hashing, and a hash index is
/// built once a map grows past `indexThreshold` entries.
public struct OrderedMap<Element: Sendable>: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(key: String, value: Element)]
    private var index: [String: Int]?

    static var indexThreshold: Int { 16 }

    public init() { entries = [] }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
    }

    public init(_ pairs: [(String, Element)]) {
        self.init(minimumCapacity: pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, Element)...) { self.init(elements) }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Element)]> { entries.makeIterator() }

    @inline(__always) private func position(of key: String) -> Int? {
        if let index { return index[key] }
        var i = 0
        while i < entries.count {
            if entries[i].key == key { return i }
            i += 1
        }
        return nil
    }

    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    public subscript(key: String) -> Element? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                appendUnique(key, newValue)
            }
        }
    }

    /// Adds `key` without looking for an existing one: for writers that build maps from
    /// distinct, known keys (the hot path of responses).
    public mutating func appendUnique(_ key: String, _ value: Element) {
        entries.append((key, value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        guard entries.count > Self.indexThreshold else {
            index = nil
            return
        }
        var idx = [String: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { idx[e.key] = i }
        index = idx
    }
}

extension OrderedMap: Equatable where Element: Equatable {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    public static func == (a: OrderedMap, b: OrderedMap) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a.entries {
            guard let other = b[k], other == v else { return false }
        }
        return true
    }
}
