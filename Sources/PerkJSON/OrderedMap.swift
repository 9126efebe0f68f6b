/// A map with string keys kept in insertion order, for the small objects of API payloads and
/// rule contexts: lookups compare a few short keys, which beats hashing, and a hash index is
/// built once a map grows past `indexThreshold` entries.
@frozen
public struct OrderedMap<Element: Sendable>: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    // Inlinable throughout: the rule language reads these maps in its innermost loops, from
    // another module, where unspecialised generic code would cost a witness-table call per access.
    @usableFromInline var storage: [(key: String, value: Element)]
    @usableFromInline var index: [String: Int]?

    @inlinable static var indexThreshold: Int { 16 }

    @inlinable public init() { storage = [] }

    @inlinable public init(minimumCapacity: Int) {
        storage = []
        storage.reserveCapacity(minimumCapacity)
    }

    @inlinable public init(_ pairs: [(String, Element)]) {
        self.init(minimumCapacity: pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    @inlinable public init(dictionaryLiteral elements: (String, Element)...) { self.init(elements) }

    /// The entries in insertion order.
    @inlinable public var entries: [(key: String, value: Element)] { storage }
    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }
    @inlinable public var keys: [String] { storage.map(\.key) }

    @inlinable public func makeIterator() -> IndexingIterator<[(key: String, value: Element)]> {
        storage.makeIterator()
    }

    @inlinable func position(of key: String) -> Int? {
        if let index { return index[key] }
        // Comparing lengths first keeps most misses off String's slow comparison path.
        let length = key.utf8.count
        var i = 0
        while i < storage.count {
            let candidate = storage[i].key
            if candidate.utf8.count == length && candidate == key { return i }
            i += 1
        }
        return nil
    }

    @inlinable public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// Calls `body` with the value of `key` read in place, without copying it out of the map
    /// (no reference counting for collections nested in it); nil when the key is absent.
    @inlinable public func withValue<R>(forKey key: String, _ body: (Element) throws -> R) rethrows -> R? {
        guard let i = position(of: key) else { return nil }
        return try body(storage[i].value)
    }

    @inlinable public subscript(key: String) -> Element? {
        get { position(of: key).map { storage[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    storage[i].value = newValue
                } else {
                    storage.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                appendUnique(key, newValue)
            }
        }
    }

    /// Adds `key` without looking for an existing one: for writers that build maps from
    /// distinct, known keys (the hot path of responses).
    @inlinable public mutating func appendUnique(_ key: String, _ value: Element) {
        storage.append((key, value))
        if index != nil {
            index![key] = storage.count - 1
        } else if storage.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    @usableFromInline mutating func rebuildIndex() {
        guard storage.count > Self.indexThreshold else {
            index = nil
            return
        }
        var idx = [String: Int](minimumCapacity: storage.count)
        for (i, e) in storage.enumerated() { idx[e.key] = i }
        index = idx
    }
}

extension OrderedMap: Equatable where Element: Equatable {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    @inlinable public static func == (a: OrderedMap, b: OrderedMap) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a.storage {
            guard let other = b[k], other == v else { return false }
        }
        return true
    }
}
