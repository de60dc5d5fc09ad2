import MeshCLI
import MeshCore
import Testing

/// The message of the `UsageError` thrown by `body`, or `nil` if it does not throw.
private func usageMessage(_ body: () throws(UsageError) -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return error.message
    }
}

@Suite struct ArgumentScannerTests {
    // MARK: Flags

    @Test func flags() throws {
        var scanner = ArgumentScanner(["--detach", "--verbose", "--detach"], command: "echo")
        #expect(scanner.flag("--detach") == true)
        #expect(scanner.flag("--verbose") == true)
        #expect(scanner.flag("--quiet") == false)
        #expect(scanner.positionals() == [])
        try scanner.finish()
    }

    @Test func flagGivenAValueIsAnError() {
        var scanner = ArgumentScanner(["--detach=yes"], command: "echo")
        #expect(scanner.flag("--detach") == false)
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() }
            == "--detach: takes no value, got '--detach=yes'")
    }

    // MARK: Options

    @Test func optionForms() throws {
        var scanner = ArgumentScanner(["--port", "80", "--host=example.com", "--empty="], command: "echo")
        #expect(try scanner.option("--port") == "80")
        #expect(try scanner.option("--host") == "example.com")
        #expect(try scanner.option("--empty") == "")
        #expect(try scanner.option("--absent") == nil)
        try scanner.finish()
    }

    @Test func optionValueKeepsLaterEqualsSigns() throws {
        var scanner = ArgumentScanner(["--header=X-A=b=c"], command: "echo")
        #expect(try scanner.option("--header") == "X-A=b=c")
    }

    @Test func optionNamesMatchExactly() throws {
        var scanner = ArgumentScanner(["--portal", "x", "--port=1"], command: "echo")
        #expect(try scanner.option("--port") == "1")
        #expect(try scanner.option("--portal") == "x")
        try scanner.finish()
    }

    @Test(arguments: [
        (["--port"], "--port: missing value"),
        (["--port", "--detach"], "--port: missing value"),
        (["--port", "--"], "--port: missing value"),
        (["--port", "--", "80"], "--port: missing value"),
    ])
    func optionWithoutValue(arguments: [String], expected: String) {
        var scanner = ArgumentScanner(arguments, command: "echo")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.option("--port") } == expected)
    }

    @Test func optionValueAlreadyTakenByAFlagIsMissing() {
        var scanner = ArgumentScanner(["--name", "--detach"], command: "echo")
        #expect(scanner.flag("--detach") == true)
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.option("--name") }
            == "--name: missing value")
    }

    @Test func typedOptionMissingValueSaysWhatWasExpected() {
        var scanner = ArgumentScanner(["--port"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.intOption("--port", range: 0...65535) }
            == "--port: missing value (expected an integer from 0 to 65535)")
    }

    @Test(arguments: [
        ["--port", "80", "--port", "81"],
        ["--port=80", "--port", "80"],
        ["--port=80", "--port=81"],
    ])
    func duplicateOption(arguments: [String]) {
        var scanner = ArgumentScanner(arguments, command: "echo")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.option("--port") }
            == "--port: given more than once")
    }

    @Test func repeatableOptions() throws {
        var scanner = ArgumentScanner(
            ["--header", "A:1", "serve", "--header=B:2", "--header", "C:3"], command: "echo")
        #expect(try scanner.options("--header") == ["A:1", "B:2", "C:3"])
        #expect(try scanner.options("--other") == [])
        #expect(scanner.positionals() == ["serve"])
        try scanner.finish()
    }

    @Test func repeatableOptionWithoutValue() {
        var scanner = ArgumentScanner(["--header", "A:1", "--header"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.options("--header") }
            == "--header: missing value")
    }

    // MARK: Typed options

    @Test func customParsedOption() throws {
        var scanner = ArgumentScanner(["--port", "8080"], command: "echo")
        let port = try scanner.option("--port", parse: { UInt16($0) }, expected: "a port number 0-65535")
        #expect(port == 8080)
    }

    @Test func customParsedOptionRejectsBadValue() {
        var scanner = ArgumentScanner(["--port", "abc"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in
            _ = try scanner.option("--port", parse: { UInt16($0) }, expected: "a port number 0-65535")
        } == "--port: expected a port number 0-65535, got 'abc'")
    }

    /// A value quoted in an error cannot split the line or colour the terminal.
    @Test func quotedValuesAreEscaped() {
        var scanner = ArgumentScanner(["--port", "8\n0\u{1B}[31m\u{9B}"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in
            _ = try scanner.option("--port", parse: { UInt16($0) }, expected: "a port number 0-65535")
        } == "--port: expected a port number 0-65535, got '8\\n0\\u{1B}[31m\\u{9B}'")
        let stray = ArgumentScanner(["line\u{2028}two\r"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in try stray.finish() }
            == "unexpected argument 'line\\u{2028}two\\r' for 'meshbed echo'")
    }

    @Test func intOption() throws {
        var scanner = ArgumentScanner(["--connections", "64", "--offset=-3"], command: "load")
        #expect(try scanner.intOption("--connections", range: 1...10_000) == 64)
        #expect(try scanner.intOption("--offset", range: -10...10) == -3)
        #expect(try scanner.intOption("--absent", range: 1...2) == nil)
        try scanner.finish()
    }

    @Test(arguments: [
        ("0", 1...10_000, "--connections: expected an integer from 1 to 10000, got '0'"),
        ("10001", 1...10_000, "--connections: expected an integer from 1 to 10000, got '10001'"),
        ("1.5", 1...10_000, "--connections: expected an integer from 1 to 10000, got '1.5'"),
        ("ten", 1...Int.max, "--connections: expected an integer >= 1, got 'ten'"),
        ("", Int.min...Int.max, "--connections: expected an integer, got ''"),
        ("99999999999999999999", Int.min...0, "--connections: expected an integer <= 0, got '99999999999999999999'"),
    ])
    func intOptionRejects(value: String, range: ClosedRange<Int>, expected: String) {
        var scanner = ArgumentScanner(["--connections=\(value)"], command: "load")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.intOption("--connections", range: range) }
            == expected)
    }

    @Test func durationOption() throws {
        var scanner = ArgumentScanner(["--timeout", "1.5s", "--latency=250ms"], command: "load")
        #expect(try scanner.durationOption("--timeout") == .milliseconds(1_500))
        #expect(try scanner.durationOption("--latency") == .milliseconds(250))
        #expect(try scanner.durationOption("--absent") == nil)
        try scanner.finish()
    }

    @Test func negativeValueIsABadDurationNotAnUnknownFlag() {
        var scanner = ArgumentScanner(["--latency", "-5ms"], command: "proxy")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.durationOption("--latency") }
            == "--latency: expected a duration like 250ms, 2s or 1m, got '-5ms'")
    }

    @Test(arguments: ["5", "5 ms", "fast", "1h30m"])
    func durationOptionRejects(value: String) {
        var scanner = ArgumentScanner(["--timeout", value], command: "load")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.durationOption("--timeout") }
            == "--timeout: expected a duration like 250ms, 2s or 1m, got '\(value)'")
    }

    @Test(arguments: [("0", 0.0), ("100", 100), ("12.5", 12.5), ("0.01", 0.01), ("5%", 5), ("99.9%", 99.9), ("007", 7)])
    func percentOption(value: String, expected: Double) throws {
        var scanner = ArgumentScanner(["--error-rate", value], command: "proxy")
        #expect(try scanner.percentOption("--error-rate") == expected)
    }

    @Test(arguments: ["-1", "100.5", "101", "abc", ".5", "5.", "1e1", "nan", "inf", "5%%", "%", "", " 5", "0x10", "+5"])
    func percentOptionRejects(value: String) {
        var scanner = ArgumentScanner(["--error-rate=\(value)"], command: "proxy")
        #expect(usageMessage { () throws(UsageError) in _ = try scanner.percentOption("--error-rate") }
            == "--error-rate: expected a percentage from 0 to 100, got '\(value)'")
    }

    // MARK: Positionals and "--"

    @Test func positionalsInterleavedWithOptions() throws {
        var scanner = ArgumentScanner(["one", "--port", "80", "two", "--detach", "-", "three"], command: "echo")
        #expect(scanner.flag("--detach") == true)
        #expect(try scanner.option("--port") == "80")
        #expect(scanner.positionals() == ["one", "two", "-", "three"])
        try scanner.finish()
    }

    @Test func everythingAfterDoubleDashIsPositional() throws {
        var scanner = ArgumentScanner(["--detach", "a", "--", "--port", "80", "-5", "--"], command: "echo")
        #expect(scanner.flag("--detach") == true)
        #expect(try scanner.option("--port") == nil)
        #expect(scanner.positionals() == ["a", "--port", "80", "-5", "--"])
        try scanner.finish()
    }

    @Test func flagsAfterDoubleDashAreNotFlags() throws {
        var scanner = ArgumentScanner(["--", "--detach"], command: "echo")
        #expect(scanner.flag("--detach") == false)
        #expect(scanner.positionals() == ["--detach"])
        try scanner.finish()
    }

    @Test func leftoverPositionalIsAnErrorWhenNotTaken() {
        let scanner = ArgumentScanner(["extra"], command: "echo")
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() }
            == "unexpected argument 'extra' for 'meshbed echo'")
    }

    // MARK: Unknown flags

    @Test func unknownFlagWithSuggestion() throws {
        var scanner = ArgumentScanner(["--prot", "80"], command: "echo")
        #expect(scanner.flag("--detach") == false)
        #expect(try scanner.option("--port") == nil)
        _ = scanner.positionals()
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() }
            == "unknown flag '--prot' for 'meshbed echo' (did you mean '--port'?)")
    }

    @Test(arguments: [
        ("--prot=80", "unknown flag '--prot' for 'meshbed echo' (did you mean '--port'?)"),
        ("--detatch", "unknown flag '--detatch' for 'meshbed echo' (did you mean '--detach'?)"),
        ("-port", "unknown flag '-port' for 'meshbed echo' (did you mean '--port'?)"),
        ("--hots", "unknown flag '--hots' for 'meshbed echo' (did you mean '--host'?)"),
        ("--frobnicate", "unknown flag '--frobnicate' for 'meshbed echo'"),
        ("-x", "unknown flag '-x' for 'meshbed echo'"),
        ("-5", "unknown flag '-5' for 'meshbed echo'"),
    ])
    func unknownFlags(argument: String, expected: String) throws {
        var scanner = ArgumentScanner([argument], command: "echo")
        _ = scanner.flag("--detach")
        _ = try scanner.option("--port")
        _ = try scanner.option("--host")
        _ = scanner.positionals()
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() } == expected)
    }

    @Test func unknownFlagIsReportedBeforeUnexpectedPositionals() {
        var scanner = ArgumentScanner(["stray", "--prot", "80"], command: "echo")
        _ = try? scanner.option("--port")
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() }
            == "unknown flag '--prot' for 'meshbed echo' (did you mean '--port'?)")
    }

    @Test func suggestionPrefersTheClosestName() throws {
        var scanner = ArgumentScanner(["--rate"], command: "load")
        _ = try scanner.option("--rates")
        _ = try scanner.option("--rate-limit")
        _ = try scanner.option("--date")
        #expect(usageMessage { () throws(UsageError) in try scanner.finish() }
            == "unknown flag '--rate' for 'meshbed load' (did you mean '--rates'?)")
    }

    @Test func messagesStayOnOneLine() {
        var scanner = ArgumentScanner(["--port", "8\n0"], command: "echo")
        let message = usageMessage { () throws(UsageError) in _ = try scanner.intOption("--port", range: 0...65535) }
        #expect(message == "--port: expected an integer from 0 to 65535, got '8\\n0'")
    }

    @Test func emptyArguments() throws {
        var scanner = ArgumentScanner([], command: "echo")
        #expect(scanner.flag("--detach") == false)
        #expect(try scanner.option("--port") == nil)
        #expect(scanner.positionals() == [])
        try scanner.finish()
    }
}

@Suite struct ArgumentScannerPreconditionTests {
    @Test func queryingAfterPositionalsTraps() async {
        await #expect(processExitsWith: .failure) {
            var scanner = ArgumentScanner(["--port", "80"], command: "echo")
            _ = scanner.positionals()
            _ = try? scanner.option("--port")
        }
    }

    @Test func namesMustBeLongFlags() async {
        await #expect(processExitsWith: .failure) {
            var scanner = ArgumentScanner([], command: "echo")
            _ = scanner.flag("detach")
        }
    }
}
