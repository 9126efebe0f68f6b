/// A map with string keys kept in insertion order, for the small objects of API payloads and
/// rule contexts. Lookups scan the entries, comparing lengths before text: for the handful of
/// short keys these maps hold, that beats hashing. The struct is a single array reference, so
/// copying a map (which rules do on every path step) costs one reference count. Operations over
/// two whole maps (`==`, `merge`) and the JSON parser index large maps temporarily, so nothing
/// is quadratic in the size of a request.
@frozen
public struct OrderedMap<Element: Sendable>: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    // Inlinable throughout: the rule language reads these maps in its innermost loops, from
    // another module, where unspecialised generic code would cost a witness-table call per access.
    @usableFromInline var storage: [(key: String, value: Element)]

    /// Above this many entries, whole-map operations build a hash index first.
    @inlinable static var linearLimit: Int { 16 }

    @inlinable public init() { storage = [] }

    @inlinable public init(minimumCapacity: Int) {
        storage = []
        storage.reserveCapacity(minimumCapacity)
    }

    @inlinable public init(_ pairs: [(String, Element)]) {
        self.init(minimumCapacity: pairs.count)
        merge(pairs)
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

    /// The position of `key` among the entries.
    @inlinable public func position(of key: String) -> Int? {
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

    /// The position of `key`, trying `hint` first (maps built alike keep keys in place).
    @inlinable public func position(of key: String, hint: Int) -> Int? {
        if hint < storage.count && storage[hint].key == key { return hint }
        return position(of: key)
    }

    @inlinable public func value(at position: Int) -> Element { storage[position].value }

    @inlinable public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// Calls `body` with the value of `key` read in place; nil when the key is absent.
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
                }
            } else if let newValue {
                storage.append((key, newValue))
            }
        }
    }

    /// Adds `key` without looking for an existing one: for writers that build maps from
    /// distinct, known keys (the hot path of responses).
    @inlinable public mutating func appendUnique(_ key: String, _ value: Element) {
        storage.append((key, value))
    }

    /// Sets every pair in order (a repeated key keeps the last value), in time linear in the
    /// number of entries however large the maps.
    @inlinable public mutating func merge(_ pairs: some Sequence<(String, Element)>) {
        var index: [String: Int]?
        for (key, value) in pairs {
            if index == nil && storage.count > Self.linearLimit {
                var built = [String: Int](minimumCapacity: storage.count * 2)
                for (i, e) in storage.enumerated() { built[e.key] = i }
                index = built
            }
            if index != nil {
                if let i = index![key] {
                    storage[i].value = value
                } else {
                    index![key] = storage.count
                    storage.append((key, value))
                }
            } else {
                self[key] = value
            }
        }
    }
}

extension OrderedMap: Equatable where Element: Equatable {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    @inlinable public static func == (a: OrderedMap, b: OrderedMap) -> Bool {
        guard a.count == b.count else { return false }
        if a.count <= linearLimit {
            for (k, v) in a.storage {
                guard let other = b[k], other == v else { return false }
            }
            return true
        }
        var index = [String: Int](minimumCapacity: b.count)
        for (i, e) in b.storage.enumerated() { index[e.key] = i }
        for (k, v) in a.storage {
            guard let i = index[k], b.storage[i].value == v else { return false }
        }
        return true
    }
}
