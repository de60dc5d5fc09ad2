import MeshYAML

/// A program of the user's own that runs instead of the echo app (`app:` of a service).
///
/// meshbed substitutes the port it assigns for `{port}` in `command` and in `env` values,
/// and adds the `MESHBED_*` variables and `http_proxy` of SPEC §5 to the environment (so
/// `env` may not set `MESHBED_*` itself). Relative paths in `command` are the
/// orchestrator's business (it runs the app from the topology file's directory).
public struct AppSpec: Sendable, Equatable {
    /// `command`: the program and its arguments, never empty.
    public let command: [String]
    /// `ready`: an HTTP path (starting with `/`) that answers 2xx once the app is up; when
    /// `nil`, the app is ready once its port accepts connections.
    public let ready: String?
    /// `env`: extra environment variables, in the order written.
    public let env: OrderedMap<String>

    /// The placeholder replaced by the assigned port.
    public static let portPlaceholder = "{port}"

    public init(command: [String], ready: String? = nil, env: OrderedMap<String> = [:]) {
        precondition(!command.isEmpty, "AppSpec: command must not be empty")
        self.command = command
        self.ready = ready
        self.env = env
    }

    /// `command` with every `{port}` replaced by `port`.
    public func arguments(port: Int) -> [String] {
        command.map { $0.replacing(Self.portPlaceholder, with: String(port)) }
    }

    /// `env` with every `{port}` in a value replaced by `port`.
    public func environment(port: Int) -> OrderedMap<String> {
        OrderedMap(env.map { ($0.key, $0.value.replacing(Self.portPlaceholder, with: String(port))) })
    }

    static let keys = ["command", "ready", "env"]
    /// Variables meshbed sets for every app, which `env` may not set.
    static let reservedPrefix = "MESHBED_"

    /// Whether `name` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy {
            ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
        }
    }

    /// Reads `app:` of service `service`.
    static func read(_ node: YAMLNode, service: String, log: inout DiagnosticLog) -> AppSpec? {
        guard let fields = MappingReader(node, key: "app", context: "in app of service '\(service)'", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var command: [String] = []
        if let value = fields.required("command", log: &log) {
            if let items = ValueReader.list(value, key: "command", expected: "a list of arguments", log: &log) {
                if items.isEmpty {
                    log.error("command: expected at least one argument", at: value.mark)
                    valid = false
                }
                for item in items {
                    if let argument = ValueReader.string(item, key: "command", expected: "an argument", log: &log) {
                        command.append(argument)
                    } else {
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        } else {
            valid = false
        }
        var ready: String?
        if let value = fields["ready"] {
            let expected = "an HTTP path starting with '/'"
            if let path = ValueReader.string(value, key: "ready", expected: expected, log: &log) {
                if path.hasPrefix("/") {
                    ready = path
                } else {
                    ValueReader.fail("ready", expected: expected, node: value, log: &log)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        var env = OrderedMap<String>()
        if let value = fields["env"] {
            let map = ValueReader.stringMap(value, key: "env", log: &log) { name in
                if !isVariableName(name) { return "env: '\(name)' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)" }
                if name.hasPrefix(reservedPrefix) { return "env: '\(name)' is set by meshbed and cannot be overridden" }
                return nil
            }
            if let map { env = map } else { valid = false }
        }
        return valid ? AppSpec(command: command, ready: ready, env: env) : nil
    }
}
