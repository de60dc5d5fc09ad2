import MeshCore

/// Picks a subcommand's flags, options and positional arguments out of its argument list.
///
/// Query every flag and option first, then take `positionals()`, then call `finish()` to
/// reject anything left over (unknown flags get a "did you mean" from the queried names):
///
///     var scanner = ArgumentScanner(arguments, command: "echo")
///     let detach = scanner.flag("--detach")
///     let port = try scanner.intOption("--port", range: 0...65535) ?? 8080
///     let files = scanner.positionals()
///     try scanner.finish()
///
/// Options take their value as `--name value` or `--name=value`. In the separate form the
/// next argument is the value even if it starts with a single `-` (so `--latency -5ms` is
/// a bad duration, not an unknown flag), but not if it starts with `--`, which is reported
/// as a missing value; use `--name=--value` for such values. Everything after a lone `--`
/// is positional. Names are given with their dashes: `flag("--detach")`.
public struct ArgumentScanner: Sendable {
    private let arguments: [String]
    private let command: String
    /// Index of the first `--`, or `arguments.count` if there is none.
    private let terminator: Int
    private var consumed: [Bool]
    /// Every flag and option name queried so far, in query order (for suggestions).
    private var queriedNames: [String] = []
    private var flagNames: Set<String> = []
    private var positionalsTaken = false

    /// Scans `arguments`, the words after the subcommand name; `command` (e.g. `"echo"`)
    /// names the subcommand in messages (`'meshbed echo'`).
    public init(_ arguments: [String], command: String) {
        self.arguments = arguments
        self.command = command
        terminator = arguments.firstIndex(of: "--") ?? arguments.count
        consumed = Array(repeating: false, count: arguments.count)
        if terminator < arguments.count { consumed[terminator] = true }
    }

    /// Whether the flag `name` (e.g. `"--detach"`) is present; removes every occurrence.
    public mutating func flag(_ name: String) -> Bool {
        noteQuery(name)
        flagNames.insert(name)
        var found = false
        for index in 0..<terminator where !consumed[index] && arguments[index] == name {
            consumed[index] = true
            found = true
        }
        return found
    }

    /// The value of the option `name` (`--port 80` or `--port=80`), or `nil` if absent.
    /// Throws if it has no value or is given more than once.
    public mutating func option(_ name: String) throws(UsageError) -> String? {
        try singleValue(name, expected: nil)
    }

    /// Every value of the repeatable option `name` (`--header a:1 --header b:2`), in order;
    /// empty if absent. Throws if an occurrence has no value.
    public mutating func options(_ name: String) throws(UsageError) -> [String] {
        try values(name, expected: nil)
    }

    /// The value of the option `name` converted by `parse`, or `nil` if absent. Throws
    /// `<name>: expected <expected>, got '<value>'` if `parse` returns `nil`;
    /// `expected` reads like "a port number 0-65535".
    public mutating func option<T>(
        _ name: String, parse: (String) -> T?, expected: String
    ) throws(UsageError) -> T? {
        guard let text = try singleValue(name, expected: expected) else { return nil }
        guard let value = parse(text) else {
            throw UsageError("\(name): expected \(expected), got \(Self.quoted(text))")
        }
        return value
    }

    /// The value of the integer option `name`, which must lie in `range`; `nil` if absent.
    public mutating func intOption(_ name: String, range: ClosedRange<Int>) throws(UsageError) -> Int? {
        let expected =
            switch (range.lowerBound, range.upperBound) {
            case (.min, .max): "an integer"
            case (let lower, .max): "an integer >= \(lower)"
            case (.min, let upper): "an integer <= \(upper)"
            case (let lower, let upper): "an integer from \(lower) to \(upper)"
            }
        let parse = { (text: String) in Int(text).flatMap { range.contains($0) ? $0 : nil } }
        return try option(name, parse: parse, expected: expected)
    }

    /// The value of the duration option `name` in meshbed syntax (`250ms`, `2s`, `1m`);
    /// `nil` if absent.
    public mutating func durationOption(_ name: String) throws(UsageError) -> Duration? {
        try option(name, parse: { Duration(meshbed: $0) }, expected: "a duration like 250ms, 2s or 1m")
    }

    /// The value of the percentage option `name`: a decimal number from 0 to 100, with an
    /// optional `%` (`5`, `0.5`, `12.5%`); `nil` if absent.
    public mutating func percentOption(_ name: String) throws(UsageError) -> Double? {
        try option(name, parse: Self.parsePercent, expected: "a percentage from 0 to 100")
    }

    /// The arguments that are not flags or options, in order: those before `--` that do
    /// not start with `-` (a lone `-` counts as positional), and everything after `--`.
    /// Call once, after querying every flag and option.
    public mutating func positionals() -> [String] {
        positionalsTaken = true
        var result: [String] = []
        for index in arguments.indices where !consumed[index] {
            let argument = arguments[index]
            if index > terminator || !Self.looksLikeFlag(argument) {
                consumed[index] = true
                result.append(argument)
            }
        }
        return result
    }

    /// Throws for the first argument nobody asked for: an unknown flag (with a suggestion
    /// among the queried names within edit distance 2), a value given to a flag, or, if
    /// `positionals()` was not called, an unexpected positional argument. A `--help` or `-h`
    /// (before any `--`) wins over all of these: it throws `UsageError.helpRequested` with
    /// every flag and option name queried so far, so the command's help can be printed (and
    /// checked against what the parser accepts).
    public func finish() throws(UsageError) {
        let leftover = arguments.indices.filter { !consumed[$0] }
        if leftover.contains(where: { $0 < terminator && (arguments[$0] == "--help" || arguments[$0] == "-h") }) {
            throw .helpRequested(command: command, flags: queriedNames)
        }
        if let index = leftover.first(where: { $0 < terminator && Self.looksLikeFlag(arguments[$0]) }) {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if name != argument && flagNames.contains(name) {
                throw UsageError("\(name): takes no value, got \(Self.quoted(argument))")
            }
            var message = "unknown flag \(Self.quoted(name)) for '\(commandLine)'"
            if let suggestion = suggestion(for: name) {
                message += " (did you mean '\(suggestion)'?)"
            }
            throw UsageError(message)
        }
        if let index = leftover.first {
            throw UsageError("unexpected argument \(Self.quoted(arguments[index])) for '\(commandLine)'")
        }
    }

    // MARK: - Implementation

    private var commandLine: String { command.isEmpty ? "meshbed" : "meshbed \(command)" }

    private mutating func noteQuery(_ name: String) {
        precondition(name.hasPrefix("--") && name.count > 2 && !name.contains("="),
                     "ArgumentScanner: '\(name)' is not a flag name like '--port'")
        precondition(!positionalsTaken,
                     "ArgumentScanner: query '\(name)' before calling positionals()")
        if !queriedNames.contains(name) { queriedNames.append(name) }
    }

    private mutating func singleValue(_ name: String, expected: String?) throws(UsageError) -> String? {
        let found = try values(name, expected: expected)
        guard found.count <= 1 else { throw UsageError("\(name): given more than once") }
        return found.first
    }

    private mutating func values(_ name: String, expected: String?) throws(UsageError) -> [String] {
        noteQuery(name)
        let prefix = name + "="
        var found: [String] = []
        var index = 0
        while index < terminator {
            defer { index += 1 }
            guard !consumed[index] else { continue }
            let argument = arguments[index]
            if argument == name {
                consumed[index] = true
                let next = index + 1
                guard next < terminator, !consumed[next], !arguments[next].hasPrefix("--") else {
                    throw UsageError("\(name): missing value" + (expected.map { " (expected \($0))" } ?? ""))
                }
                consumed[next] = true
                found.append(arguments[next])
                index = next
            } else if argument.hasPrefix(prefix) {
                consumed[index] = true
                found.append(String(argument.dropFirst(prefix.count)))
            }
        }
        return found
    }

    /// The queried name closest to `name` by edit distance, if within 2 (ties: first queried).
    private func suggestion(for name: String) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in queriedNames {
            let distance = Self.editDistance(name, candidate)
            if distance <= 2, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    private static func looksLikeFlag(_ argument: String) -> Bool {
        argument.hasPrefix("-") && argument != "-"
    }

    /// `'value'`, with control characters escaped so the message stays on one line.
    private static func quoted(_ value: String) -> String {
        "'" + DisplayText.escaped(value) + "'"
    }

    /// Levenshtein distance between `a` and `b`, by characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return a.count + b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Parses `digits[.digits][%]` in 0...100.
    private static func parsePercent(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? text.dropLast() : Substring(text)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber } }
        guard let whole = parts.first, isDigits(whole), parts.count == 1 || isDigits(parts[1]),
              let value = Double(String(number)), value >= 0, value <= 100
        else { return nil }
        return value
    }
}
