/// Which instances a process step (`kill`, `restart`, `pause`, `resume`) or a readiness expectation
/// means: every instance of `service`, narrowed to one `version` and/or one `instance` index.
public struct InstanceSelector: Sendable, Equatable, CustomStringConvertible {
    public var service: String
    /// Only this version's instances.
    public var version: String?
    /// Only the instances with this 0-based index (within their version).
    public var instance: Int?

    public init(service: String, version: String? = nil, instance: Int? = nil) {
        self.service = service
        self.version = version
        self.instance = instance
    }

    /// Whether an instance of `service`, `version`, `index` is selected.
    public func matches(service: String, version: String, index: Int) -> Bool {
        service == self.service && (self.version == nil || self.version == version) && (instance == nil || instance == index)
    }

    /// `ratings`, `reviews v2`, `ratings instance 0`, `reviews v2 instance 1`.
    public var description: String {
        var text = service
        if let version { text += " \(version)" }
        if let instance { text += " instance \(instance)" }
        return text
    }
}
