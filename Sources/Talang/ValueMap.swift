/// The map of the rule language: string keys in insertion order. Rule contexts are many small
/// maps (a cart item has a dozen fields) read by literal keys, where comparing a few short
/// strings beats hashing one; large maps get a hash index.
public struct ValueMap: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(key: String, value: Value)]
    private var index: [String: Int]?

    static let indexThreshold = 16

    public init() { entries = [] }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(minimumCapacity: elements.count)
        for (k, v) in elements { self[k] = v }
    }

    public init(_ dictionary: [String: Value]) {
        self.init(minimumCapacity: dictionary.count)
        for (k, v) in dictionary { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { entries.makeIterator() }

    @inline(__always) private func position(of key: String) -> Int? {
        if let index { return index[key] }
        var i = 0
        while i < entries.count {
            if entries[i].key == key { return i }
            i += 1
        }
        return nil
    }

    public subscript(key: String) -> Value? {
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
                entries.append((key, newValue))
                if index != nil {
                    index![key] = entries.count - 1
                } else if entries.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
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

extension ValueMap: Equatable {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    public static func == (a: ValueMap, b: ValueMap) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a.entries {
            guard let other = b[k], other == v else { return false }
        }
        return true
    }
}
