/// A string-keyed map that keeps the order its keys were written in (YAML mappings, the
/// services of a topology, header matches, environment variables). Keys are unique.
public struct OrderedMap<Value> {
    /// The keys, in order.
    public private(set) var keys: [String]
    private var storage: [String: Value]

    /// An empty map.
    public init() {
        keys = []
        storage = [:]
    }

    /// A map of `pairs` in order. Keys must be unique.
    public init(_ pairs: [(String, Value)]) {
        self.init()
        for (key, value) in pairs {
            precondition(storage[key] == nil, "OrderedMap: duplicate key '\(key)'")
            insert(value, for: key)
        }
    }

    /// The value for `key`, if present.
    public subscript(key: String) -> Value? { storage[key] }

    /// The values, in key order.
    public var values: [Value] { keys.map { storage[$0]! } }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { storage[key] != nil }

    /// The same map with lowercased keys; of keys that differ only in case, the first wins.
    func lowercasingKeys() -> OrderedMap {
        var result = OrderedMap()
        for (key, value) in self where !result.contains(key.lowercased()) {
            result.insert(value, for: key.lowercased())
        }
        return result
    }

    /// Adds `value` for a new `key` at the end, or replaces the value of an existing key in place.
    mutating func insert(_ value: Value, for key: String) {
        if storage.updateValue(value, forKey: key) == nil {
            keys.append(key)
        }
    }
}

extension OrderedMap: Sequence {
    /// Iterates `(key, value)` in key order.
    public struct Iterator: IteratorProtocol {
        fileprivate var keys: IndexingIterator<[String]>
        fileprivate let storage: [String: Value]

        public mutating func next() -> (key: String, value: Value)? {
            guard let key = keys.next() else { return nil }
            return (key, storage[key]!)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(keys: keys.makeIterator(), storage: storage)
    }

    public var underestimatedCount: Int { keys.count }
}

extension OrderedMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }
}

extension OrderedMap: Equatable where Value: Equatable {
    /// Equal when the keys are equal in the same order and map to equal values.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }
}

extension OrderedMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        for key in keys { hasher.combine(storage[key]!) }
    }
}

extension OrderedMap: Sendable where Value: Sendable {}

extension OrderedMap: CustomStringConvertible {
    /// `[a: 1, b: 2]` in key order.
    public var description: String {
        isEmpty ? "[:]" : "[" + map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
