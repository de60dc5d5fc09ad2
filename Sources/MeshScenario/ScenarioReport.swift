import FoundationEssentials
import MeshIO
import MeshCore

/// What `meshbed run` and `meshbed test` print and write: a table a workshop audience
/// can read (in colour on a terminal), a JSON document (`--json`) and a JUnit XML file
/// (`--junit`, one testcase per step) for CI systems.
public struct ScenarioReport: Sendable, Equatable {
    public var scenarios: [ScenarioResult]

    public init(_ scenarios: [ScenarioResult]) {
        self.scenarios = scenarios
    }

    /// 0 all passed, 3 when some scenario hit an infrastructure problem, else 1 when some
    /// failed; 128 + N (130 for SIGINT) when signal N interrupted the run, whatever else.
    public var exitCode: Int32 {
        for scenario in scenarios {
            if case .interrupted(let signal) = scenario.outcome { return Interruption.exitCode(signal) }
        }
        let codes = scenarios.map(\.exitCode)
        if codes.contains(3) { return 3 }
        return codes.contains(1) ? 1 : 0
    }

    /// The signal that interrupted the run, if one did.
    public var interruption: Int32? {
        for scenario in scenarios {
            if case .interrupted(let signal) = scenario.outcome { return signal }
        }
        return nil
    }

    // MARK: table

    /// The final table: per scenario a row per expectation (or per step without any), then
    /// a summary line; ANSI colours for pass and fail when `colour`.
    public func table(colour: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var out = ""
        for scenario in scenarios {
            out += paint("scenario \(scenario.name)", "1") + " (\(DisplayText.escaped(scenario.file)))\n"
            var rows: [[String]] = [["STEP", "EXPECTATION", "EXPECTED", "MEASURED", "RESULT"]]
            for step in scenario.steps {
                let title = step.name == step.action ? step.name : "\(step.name): \(step.action)"
                if step.expectations.isEmpty {
                    var note = "-"
                    if case .error(let message) = step.outcome { note = message }
                    if case .skipped(let message) = step.outcome { note = message }
                    rows.append([title, "-", "-", note, step.verdict])
                    continue
                }
                for (index, expectation) in step.expectations.enumerated() {
                    rows.append([index == 0 ? title : "", expectation.name, expectation.expected, expectation.measured,
                                 expectation.passed ? "pass" : "FAIL"])
                }
                if case .error(let message) = step.outcome { rows.append(["", "-", "-", message, "ERROR"]) }
            }
            // Step names and messages come from files and processes: one line each, no colours of their own.
            rows = rows.map { $0.map(DisplayText.escaped) }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for (index, row) in rows.enumerated() {
                var line = "  " + (0..<4).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }.joined(separator: "  ") + "  "
                let result = row[4]
                if index == 0 {
                    line += result
                } else {
                    switch result {
                    case "pass": line += paint(result, "32")
                    case "FAIL", "ERROR": line += paint(result, "31;1")
                    default: line += paint(result, "33")
                    }
                }
                out += line + "\n"
            }
            out += "  " + summary(scenario, paint: paint) + "\n"
            if let logs = scenario.logs { out += "  logs kept in \(DisplayText.escaped(logs))\n" }
            out += "\n"
        }
        if scenarios.count > 1 {
            let passed = scenarios.filter { $0.outcome == .passed }.count
            let skipped = scenarios.filter { if case .skipped = $0.outcome { true } else { false } }.count
            let line = "\(passed) of \(scenarios.count - skipped) scenarios passed" + (skipped > 0 ? ", \(skipped) skipped (not for this runtime)" : "")
            out += (passed == scenarios.count - skipped ? paint(line, "32;1") : paint(line, "31;1")) + "\n"
        }
        return out
    }

    private func summary(_ scenario: ScenarioResult, paint: (String, String) -> String) -> String {
        let expectations = scenario.steps.flatMap(\.expectations)
        let met = expectations.filter(\.passed).count
        let time = Self.seconds(scenario.milliseconds)
        switch scenario.outcome {
        case .passed:
            return paint("passed", "32;1") + ": \(scenario.steps.count) step\(scenario.steps.count == 1 ? "" : "s"), \(met) of \(expectations.count) expectations met, \(time)"
        case .failed:
            return paint("FAILED", "31;1") + ": \(met) of \(expectations.count) expectations met, \(time)"
        case .infrastructure(let message):
            return paint("ERROR", "31;1") + ": \(message)"
        case .skipped(let message):
            return paint("skipped", "33") + ": \(message)"
        case .interrupted(let signal):
            let by = paint("INTERRUPTED", "31;1") + " by \(ProcessSignal.name(of: signal))"
            guard let step = scenario.steps.first(where: { if case .error = $0.outcome { true } else { false } }) else {
                return by + " before it started"
            }
            return by + " during step '\(step.name)': the topology was torn down, \(met) of \(expectations.count) expectations met, \(time)"
        }
    }

    /// `value` in decimal, left-padded with zeros to `width` digits (as `%0*d`).
    static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func seconds(_ milliseconds: Int) -> String {
        "\(milliseconds / 1000).\(zeroPadded((milliseconds % 1000) / 10, 2))s"
    }

    // MARK: JSON

    /// `{"result", "exitCode", "scenarios": [{"name", "file", "result", "milliseconds",
    /// "error", "logs", "steps": [{"name", "action", "result", "error", "milliseconds",
    /// "expectations": [{"name", "expected", "measured", "passed"}]}]}]}`, keys sorted.
    public var json: String {
        let document: JSONValue = .object([
            "result": .string(interruption != nil ? "interrupted" : exitCode == 0 ? "passed" : exitCode == 1 ? "failed" : "error"),
            "exitCode": .integer(Int(exitCode)),
            "scenarios": .array(scenarios.map { scenario -> JSONValue in
                var error = JSONValue.null
                if case .infrastructure(let message) = scenario.outcome { error = .string(message) }
                if case .interrupted(let signal) = scenario.outcome { error = .string("interrupted by \(ProcessSignal.name(of: signal))") }
                if case .skipped(let message) = scenario.outcome { error = .string(message) }
                return .object([
                    "name": .string(scenario.name), "file": .string(scenario.file), "result": .string(scenario.verdict),
                    "milliseconds": .integer(scenario.milliseconds), "error": error, "logs": scenario.logs.map { .string($0) } ?? .null,
                    "steps": .array(scenario.steps.map { step -> JSONValue in
                        var error = JSONValue.null
                        switch step.outcome {
                        case .error(let message), .skipped(let message): error = .string(message)
                        default: break
                        }
                        return .object([
                            "name": .string(step.name), "action": .string(step.action), "result": .string(step.verdict.lowercased()),
                            "error": error, "milliseconds": .integer(step.milliseconds),
                            "expectations": .array(step.expectations.map {
                                .object(["name": .string($0.name), "expected": .string($0.expected), "measured": .string($0.measured),
                                         "passed": .bool($0.passed)])
                            }),
                        ])
                    }),
                ])
            }),
        ])
        return document.prettyPrinted + "\n"
    }

    // MARK: JUnit

    /// JUnit XML as CI systems read it: `<testsuites>` with a `<testsuite>` per scenario
    /// and a `<testcase>` per step; a failed expectation is a `<failure>` with the measured
    /// values, an action that could not be done an `<error>`, a step not run `<skipped>`.
    public var junit: String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let all = scenarios.flatMap(\.steps)
        out += "<testsuites name=\"meshbed\" tests=\"\(all.count)\" failures=\"\(count(all, .failed))\" errors=\"\(errors(all))\" skipped=\"\(skipped(all))\" time=\"\(Self.junitTime(scenarios.map(\.milliseconds).reduce(0, +)))\">\n"
        for (index, scenario) in scenarios.enumerated() {
            let steps = scenario.steps
            out += "  <testsuite name=\(Self.attribute(scenario.name)) id=\"\(index)\" tests=\"\(steps.count)\" failures=\"\(count(steps, .failed))\" errors=\"\(errors(steps))\" skipped=\"\(skipped(steps))\" time=\"\(Self.junitTime(scenario.milliseconds))\">\n"
            var properties = [("file", scenario.file)]
            if let logs = scenario.logs { properties.append(("logs", logs)) }
            out += "    <properties>\n"
            for (name, value) in properties {
                out += "      <property name=\(Self.attribute(name)) value=\(Self.attribute(value))/>\n"
            }
            out += "    </properties>\n"
            for (number, step) in steps.enumerated() {
                let name = "\(number + 1). \(step.name)"
                out += "    <testcase name=\(Self.attribute(name)) classname=\(Self.attribute("meshbed.\(scenario.name)")) time=\"\(Self.junitTime(step.milliseconds))\""
                let lines = step.expectations.map { "\($0.passed ? "pass" : "FAIL")  \($0.name): expected \($0.expected), measured \($0.measured)" }
                let details = ([step.action] + lines).joined(separator: "\n")
                switch step.outcome {
                case .passed:
                    out += ">\n      <system-out>\(Self.text(details))</system-out>\n    </testcase>\n"
                case .failed:
                    let failed = step.expectations.filter { !$0.passed }
                    let message = failed.map { "\($0.name): expected \($0.expected), measured \($0.measured)" }.joined(separator: "; ")
                    out += ">\n      <failure message=\(Self.attribute(message)) type=\"expectation\">\(Self.text(details))</failure>\n    </testcase>\n"
                case .error(let message):
                    out += ">\n      <error message=\(Self.attribute(message)) type=\"infrastructure\">\(Self.text(details))</error>\n    </testcase>\n"
                case .skipped(let message):
                    out += ">\n      <skipped message=\(Self.attribute(message))/>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    private func count(_ steps: [StepResult], _ outcome: StepResult.Outcome) -> Int { steps.filter { $0.outcome == outcome }.count }
    private func errors(_ steps: [StepResult]) -> Int { steps.filter { if case .error = $0.outcome { true } else { false } }.count }
    private func skipped(_ steps: [StepResult]) -> Int { steps.filter { if case .skipped = $0.outcome { true } else { false } }.count }

    /// Seconds with three decimals, as JUnit's `time` attribute wants.
    static func junitTime(_ milliseconds: Int) -> String {
        "\(milliseconds / 1000).\(zeroPadded(milliseconds % 1000, 3))"
    }

    /// A double-quoted XML attribute value.
    static func attribute(_ value: String) -> String {
        "\"" + escape(value, quotes: true) + "\""
    }

    /// XML character data.
    static func text(_ value: String) -> String { escape(value, quotes: false) }

    /// Escapes markup characters and drops characters XML 1.0 does not allow.
    static func escape(_ value: String, quotes: Bool) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quotes: out += "&quot;"
            case "\n" where quotes: out += "&#10;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
