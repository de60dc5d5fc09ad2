import Foundation
@testable import MeshYAML
import Testing

/// The yaml-test-suite (github.com/yaml/yaml-test-suite, `data` branch), read in place from
/// `$MESHBED_YAML_TEST_SUITE` (`.ci/run` names it, so in CI a missing suite fails) or
/// `../shared/testdata/yaml-test-suite`; skipped with a note when neither is there (a fresh
/// clone). The reader itself is never gated: any failure of it fails.
/// Every case runs on a watchdog thread, so a case that hangs fails
/// alone (and one that crashes would crash the run: none may).
///
/// Two checks: the documents against `in.json` through the core schema (what meshbed
/// relies on), and the parser's events against `test.event` (styles, tags, anchors and
/// document markers too). Cases with an `error` file pass when the input is rejected.
@Suite("yaml-test-suite conformance")
struct YAMLTestSuiteTests {
    /// Cases left out on purpose, by id, with why.
    static let outOfScope: [String: String] = [
        "2JQS": "a mapping with two empty (null) keys: duplicate keys are rejected on purpose",
    ]

    /// In-scope cases known to fail, by id, with why (none). Any other failing case fails
    /// the test, and a listed case that starts passing is reported so it can be removed.
    static let knownFailures: [String: String] = [:]

    /// The passed counts may never drop below these: the numbers achieved (402 cases).
    static let passedFloor = 401
    static let eventsPassedFloor = 402

    static let secondsPerCase = 2.0

    static let skipNote: Comment = "yaml-test-suite not beside the repository (../shared/testdata/yaml-test-suite): conformance skipped; point MESHBED_YAML_TEST_SUITE at a copy to run it"

    /// Every case; fails the test (not skips it) when the named suite is missing.
    static func cases() throws -> [YAMLTestSuiteCase] {
        try #require(YAMLTestSuiteCase.isPresent, Comment(rawValue: YAMLTestSuiteCase.missingMessage))
        return try YAMLTestSuiteCase.all()
    }

    /// A failure's detail, short: the case is named by its id; the input is in the suite.
    static func shortened(_ detail: String) -> String {
        let oneLine = detail.replacingOccurrences(of: "\n", with: "⏎")
        return oneLine.count <= 200 ? oneLine : String(oneLine.prefix(200)) + "…"
    }

    @Test("documents match in.json", .disabled(if: YAMLTestSuiteCase.isSkipped, skipNote))
    func documentsMatchJSON() throws {
        let cases = try Self.cases()
        var failures: [(id: String, detail: String)] = []
        var passed = 0
        var outOfScope = 0
        var withoutJSON = 0
        for testCase in cases {
            if Self.outOfScope[testCase.id] != nil {
                outOfScope += 1
                continue
            }
            if !testCase.mustFail && testCase.json == nil { withoutJSON += 1 }
            if let failure = Self.checkDocuments(testCase) {
                failures.append((testCase.id, "\(testCase.title): \(failure)"))
            } else {
                passed += 1
            }
        }
        print("yaml-test-suite: \(passed) passed, \(failures.count) failed, \(outOfScope) out of scope, of \(cases.count) cases"
              + " (\(withoutJSON) in-scope cases without in.json: parsed)")
        report(failures: failures, cases: cases)
        #expect(passed >= Self.passedFloor, "passed count \(passed) fell below the floor \(Self.passedFloor)")
    }

    @Test("events match test.event", .disabled(if: YAMLTestSuiteCase.isSkipped, skipNote))
    func eventsMatchTestEvent() throws {
        let cases = try Self.cases()
        var failures: [(id: String, detail: String)] = []
        var passed = 0
        for testCase in cases {
            if let failure = Self.checkEvents(testCase) {
                failures.append((testCase.id, "\(testCase.title): \(failure)"))
            } else {
                passed += 1
            }
        }
        print("yaml-test-suite events: \(passed) passed, \(failures.count) failed, 0 out of scope, of \(cases.count) cases")
        report(failures: failures, cases: cases)
        #expect(passed >= Self.eventsPassedFloor, "passed count \(passed) fell below the floor \(Self.eventsPassedFloor)")
    }

    /// Why the case fails the `in.json` check, or nil when it passes.
    static func checkDocuments(_ testCase: YAMLTestSuiteCase) -> String? {
        let text = testCase.yaml
        guard let result = Watchdog.run(seconds: secondsPerCase, {
            Result<[YAMLNode], YAMLError> { () throws(YAMLError) in try YAMLParser.parse(text) }
        }) else {
            return "no result within \(secondsPerCase) s"
        }
        switch (result, testCase.mustFail) {
        case (.failure, true):
            return nil
        case (.success, true):
            return "accepted input that must be rejected"
        case (.failure(let error), false):
            return "rejected valid input: \(error)"
        case (.success(let documents), false):
            guard let json = testCase.json else { return nil }
            let expected: [JSONValue]
            do {
                expected = try JSONValue.values(inConcatenated: json)
            } catch {
                return "could not read in.json: \(error)"
            }
            let got = documents.map(JSONValue.init)
            return got == expected ? nil : "expected \(expected), got \(got)"
        }
    }

    /// Why the case fails the `test.event` check, or nil when it passes.
    static func checkEvents(_ testCase: YAMLTestSuiteCase) -> String? {
        let text = testCase.yaml
        guard let result = Watchdog.run(seconds: secondsPerCase, {
            Result<String, YAMLError> { () throws(YAMLError) in
                var parser = try YAMLEventParser(text)
                return TestEventFormat.format(try parser.parse())
            }
        }) else {
            return "no result within \(secondsPerCase) s"
        }
        switch (result, testCase.mustFail) {
        case (.failure, true):
            return nil
        case (.success, true):
            return "accepted input that must be rejected"
        case (.failure(let error), false):
            return "rejected valid input: \(error)"
        case (.success(let events), false):
            guard let expected = testCase.events else { return nil }
            return events == expected ? nil : "expected events\n\(expected)got\n\(events)"
        }
    }

    private func report(failures: [(id: String, detail: String)], cases: [YAMLTestSuiteCase]) {
        let failed = Set(failures.map(\.id))
        for failure in failures where Self.knownFailures[failure.id] == nil {
            Issue.record("\(failure.id) \(Self.shortened(failure.detail))")
        }
        for id in Self.knownFailures.keys.sorted() where !failed.contains(id) {
            Issue.record("\(id) is listed as a known failure but passes now: remove it from knownFailures")
        }
        let ids = Set(cases.map(\.id))
        for id in Self.outOfScope.keys.sorted() where !ids.contains(id) {
            Issue.record("out-of-scope case \(id) is not in the suite")
        }
    }
}
