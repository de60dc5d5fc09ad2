import FoundationEssentials
import MeshCore
import MeshIO
import MeshLoad
import MeshOrchestrator
import MeshTopology

/// Runs one scenario: brings its topology up detached in a private state directory (tied
/// to this process, seeded with the scenario's seed), runs the steps in order, checks the
/// expectations, and always tears down. The state directory (every process's log) is
/// kept when the scenario did not pass and removed when it did.
///
/// With an `Interruption`, a stop signal cuts the run short wherever it waits (bringing the
/// topology up, traffic, `wait`, polling for a state): the step under way ends as an error
/// ("interrupted by SIGINT"), the rest are skipped, and the topology is torn down as usual.
public enum ScenarioRunner {
    /// How long a `restart` step waits for the restarted instances to be ready again.
    public static let restartReadyTimeout: Duration = .seconds(10)

    /// What the runner tells its caller as it goes (for a live progress line).
    public enum Event: Sendable {
        /// The topology is being brought up.
        case starting(scenario: String)
        /// Step `index` (0-based) of `count` starts.
        case stepStarted(index: Int, count: Int, step: ScenarioStep)
        /// Step `index` ended.
        case stepEnded(index: Int, count: Int, result: StepResult)
    }

    /// Runs `scenario` with `stateDirectory` as its private state directory (created; removed
    /// after a pass). `readyTimeout` bounds each readiness gate of `up`. `interruption`: the
    /// stop signals to watch for (blocked beforehand, see `Interruption`). `prometheus`: the
    /// Prometheus executable the topology starts with, for `promql` expectations. `runtime`:
    /// where the topology runs (`--runtime`).
    public static func run(
        _ scenario: Scenario, stateDirectory: String, readyTimeout: Duration = UpOptions.defaultReadyTimeout, prometheus: String? = nil,
        runtime: Runtime = .process, interruption: Interruption? = nil, progress: (Event) -> Void = { _ in }
    ) -> ScenarioResult {
        let started = Posix.monotonicNanoseconds()
        func elapsed() -> Int { Int((Posix.monotonicNanoseconds() - started) / 1_000_000) }
        let name = scenario.topology.name
        if let runtimes = scenario.runtimes, !runtimes.contains(runtime.name) {
            let why = "not run: it is for --runtime " + runtimes.joined(separator: " or ") + ", this run's is \(runtime.name)"
            let steps = scenario.steps.map { StepResult(name: $0.name, action: $0.action.summary, outcome: .skipped(why)) }
            return ScenarioResult(name: scenario.name, file: scenario.file, outcome: .skipped(why), steps: steps)
        }
        progress(.starting(scenario: scenario.name))
        var options = UpOptions(file: scenario.topologyFile, detach: true, stateDirectory: stateDirectory, readyTimeout: readyTimeout)
        options.tiedToCaller = true  // a run that is killed takes its mesh with it
        options.seed = scenario.seed
        options.quiet = true
        options.prometheus = prometheus
        options.runtime = runtime
        if interruption != nil { options.stopSignals = Interruption.signals }
        let status = TopologyLauncher.up(options)
        let store = StateDirectory(stateDirectory)
        if let signal = interruption?.check() {
            _ = TopologyStopper.down(name: name, stateDirectory: stateDirectory, quiet: true)
            let why = "interrupted by \(ProcessSignal.name(of: signal))"
            let steps = scenario.steps.enumerated().map { index, step in
                StepResult(name: step.name, action: step.action.summary,
                           outcome: index == 0 ? .error("\(why) while the topology was starting") : .skipped("not run: \(why)"))
            }
            return ScenarioResult(name: scenario.name, file: scenario.file, outcome: .interrupted(signal: signal), steps: steps,
                                  logs: store.directory(of: name), milliseconds: elapsed())
        }
        guard status == 0, let state = (try? store.read(name)) ?? nil else {
            _ = TopologyStopper.down(name: name, stateDirectory: stateDirectory, quiet: true)
            let reason = (try? store.read(name))??.failure ?? "topology '\(name)' could not start (meshbed up exit \(status))"
            // The first step carries the error (so CI shows a failure), the others are skipped.
            let skipped = scenario.steps.enumerated().map { index, step in
                StepResult(name: step.name, action: step.action.summary,
                           outcome: index == 0 ? .error("the topology did not start") : .skipped("not run: the topology did not start"))
            }
            return ScenarioResult(name: scenario.name, file: scenario.file, outcome: .infrastructure(reason), steps: skipped,
                                  logs: store.directory(of: name), milliseconds: elapsed())
        }

        var run = Run(state: state, store: store, interruption: interruption)
        var results: [StepResult] = []
        var broken: String?
        for (index, step) in scenario.steps.enumerated() {
            if let broken {
                results.append(StepResult(name: step.name, action: step.action.summary, outcome: .skipped("not run: \(broken)")))
                continue
            }
            if let signal = interruption?.check() {  // arrived between steps: this one is not started
                let message = "interrupted by \(ProcessSignal.name(of: signal))"
                results.append(StepResult(name: step.name, action: step.action.summary, outcome: .error(message)))
                broken = message
                continue
            }
            progress(.stepStarted(index: index, count: scenario.steps.count, step: step))
            var result = run.perform(step)
            if let signal = interruption?.check() {
                // Whatever the step had measured so far, it did not run to its end.
                result.outcome = .error("interrupted by \(ProcessSignal.name(of: signal))")
            }
            if case .error(let message) = result.outcome { broken = message }
            results.append(result)
            progress(.stepEnded(index: index, count: scenario.steps.count, result: result))
        }
        run.resumeAll()  // a stopped process cannot act on SIGTERM: thaw before teardown
        _ = TopologyStopper.down(name: name, stateDirectory: stateDirectory, quiet: true)

        let outcome: ScenarioResult.Outcome
        // check, not signal: a stop signal sent during the teardown above counts too.
        if let signal = interruption?.check() {
            outcome = .interrupted(signal: signal)
        } else if let broken {
            outcome = .infrastructure(broken)
        } else if results.allSatisfy({ $0.outcome == .passed }) {
            outcome = .passed
        } else {
            outcome = .failed
        }
        var logs: String?
        if outcome == .passed {
            try? FileManager.default.removeItem(atPath: store.directory(of: name))
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: store.root), entries.isEmpty {
                try? FileManager.default.removeItem(atPath: store.root)
            }
        } else {
            logs = store.directory(of: name)
        }
        return ScenarioResult(name: scenario.name, file: scenario.file, outcome: outcome, steps: results, logs: logs,
                              milliseconds: elapsed())
    }

    /// One running topology and what the steps did to it.
    struct Run {
        var state: MeshState
        let store: StateDirectory
        /// The stop signals that cut waits short, if the caller watches for them.
        let interruption: Interruption?
        /// Pids stopped by `pause` and not yet resumed.
        var paused: Set<Int32> = []

        init(state: MeshState, store: StateDirectory, interruption: Interruption? = nil) {
            self.state = state
            self.store = store
            self.interruption = interruption
        }

        /// Sleeps `nanoseconds`, or less when a stop signal arrives; true when one did.
        func idle(nanoseconds: UInt64) -> Bool {
            guard let interruption else {
                Posix.sleep(nanoseconds: nanoseconds)
                return false
            }
            return interruption.wait(nanoseconds: nanoseconds) != nil
        }

        mutating func perform(_ step: ScenarioStep) -> StepResult {
            let started = Posix.monotonicNanoseconds()
            var outcome = StepResult.Outcome.passed
            var checked: [ExpectationResult] = []
            var load: LoadResult?
            let counters = step.expectations.filter(\.isCounter)
            // Counter expectations measure the change over the action: read before it.
            let before = counters.isEmpty ? nil : SidecarCounters.read(state)
            let metrics = step.expectations.filter(\.isMetric)
            let scrapedBefore = metrics.isEmpty ? nil : SidecarScrapes.read(state)
            switch step.action {
            case .traffic(let spec):
                do {
                    load = try traffic(spec, explain: step.expectations.contains(where: \.needsExplain))
                } catch {
                    outcome = .error(error.message)
                }
            case .kill(let selector):
                for pid in pids(selector) { Posix.sendSignal(ProcessSignal.kill, to: pid) }
            case .restart(let selector):
                do {
                    let result = try restart(selector)
                    checked.append(result)
                    if !result.passed { outcome = .failed }
                } catch {
                    outcome = .error(error.message)
                }
            case .pause(let selector):
                for pid in pids(selector) where Posix.sendSignal(ProcessSignal.stop, to: pid) { paused.insert(pid) }
            case .resume(let selector):
                for pid in pids(selector) {
                    Posix.sendSignal(ProcessSignal.resume, to: pid)
                    paused.remove(pid)
                }
            case .fault(let spec):
                do {
                    let result = try apply { control throws(OrchestratorError) in try LiveFaults.add(spec, control: control).version }
                    checked.append(result)
                    if !result.passed { outcome = .failed }
                } catch {
                    outcome = .error("fault \(spec): \(error.message)")
                }
            case .heal:
                resumeAll()
                if state.control != nil {
                    do {
                        let result = try apply { control throws(OrchestratorError) in try LiveFaults.clear(nil, control: control).version }
                        checked.append(result)
                        if !result.passed { outcome = .failed }
                    } catch {
                        outcome = .error("heal: \(error.message)")
                    }
                }
            case .route(let change):
                do {
                    let result = try route(change)
                    checked.append(result)
                    if !result.passed { outcome = .failed }
                } catch {
                    outcome = .error(error.message)
                }
            case .mtls(let mode):
                do {
                    let result = try apply { control throws(OrchestratorError) in try LiveRoutes.sendMTLS(mode, control: control) }
                    checked.append(result)
                    if !result.passed { outcome = .failed }
                } catch {
                    outcome = .error("mtls \(mode.rawValue): \(error.message)")
                }
            case .wait(let duration):
                _ = idle(nanoseconds: UInt64(duration.meshbedNanoseconds))
            case .check:
                break
            }
            if outcome == .passed || outcome == .failed {  // a restart that timed out still shows the expectations
                if let load {
                    checked += step.expectations.filter { !$0.isState && !$0.isCounter && !$0.isMetric && !$0.isPromQL }.map { Self.check($0, load) }
                }
                if let before { checked += checkCounters(counters, since: before, within: step.within) }
                if let scrapedBefore { checked += checkMetrics(metrics, since: scrapedBefore, within: step.within) }
                let queries = step.expectations.filter(\.isPromQL)
                if !queries.isEmpty { checked += checkPromQL(queries, within: step.within) }
                let state = step.expectations.filter(\.isState)
                if !state.isEmpty { checked += checkState(state, within: step.within) }
                if checked.contains(where: { !$0.passed }) { outcome = .failed }
            }
            if case .error(let message) = outcome, !TopologyLauncher.isSupervising(self.state) {
                outcome = .error("\(message) (the topology's supervisor is gone)")
            }
            let milliseconds = Int((Posix.monotonicNanoseconds() - started) / 1_000_000)
            return StepResult(name: step.name, action: step.action.summary, outcome: outcome, expectations: checked, milliseconds: milliseconds)
        }

        /// Has the supervisor restart the selected instances, then waits (up to
        /// `restartReadyTimeout`) until every one of them is ready as `meshbed status` sees it.
        /// Returns that readiness as an expectation result; throws when the supervisor
        /// could not do the restart.
        mutating func restart(_ selector: InstanceSelector) throws(StepError) -> ExpectationResult {
            let selected = state.instances.filter { selector.matches(service: $0.service, version: $0.version, index: $0.index) }
            let ids = selected.map(\.id)
            guard !ids.isEmpty else { throw StepError("no instance of \(selector) to restart") }
            // The supervisor thaws them before it stops them: they are no longer paused.
            let old = Set(selected.flatMap { [$0.pid, $0.sidecarPID].compactMap { $0 } })
            paused.subtract(old)
            let answer: RestartChannel.Acknowledgement
            do {
                answer = try RestartChannel.restart(ids, of: state, store: store)
            } catch {
                throw StepError("restart \(selector): \(error.message)")
            }
            if let fresh = (try? store.read(state.name)) ?? nil { state = fresh }  // the new pids
            if let failure = answer.failure { throw StepError("restart \(selector): \(failure)") }

            let timeout = ScenarioRunner.restartReadyTimeout
            let started = Posix.monotonicNanoseconds()
            let deadline = started + UInt64(timeout.meshbedNanoseconds)
            while true {
                let entries = StatusReport.probe(state).entries.filter { ids.contains($0.instance.id) }
                let waiting = entries.filter { !$0.ready }.map(\.instance.id)
                let now = Posix.monotonicNanoseconds()
                if waiting.isEmpty || now >= deadline {
                    let seconds = Double((now - started) / 1_000_000) / 1000
                    var measured = "\(entries.count - waiting.count) of \(entries.count) ready after \(Comparison.number((seconds * 10).rounded() / 10))s"
                    if !waiting.isEmpty { measured += " (not ready: \(waiting.joined(separator: ", ")))" }
                    return ExpectationResult(name: "restarted", expected: "ready within \(timeout.meshbedDescription)",
                                             measured: measured, passed: waiting.isEmpty)
                }
                if idle(nanoseconds: 100_000_000) {
                    return ExpectationResult(name: "restarted", expected: "ready within \(timeout.meshbedDescription)",
                                             measured: "interrupted", passed: false)
                }
            }
        }

        /// Replaces the routes of `change.to` through the control plane and waits until every
        /// live sidecar applied them; the wait's outcome (the version and how long the
        /// sidecars took) as an expectation result. Throws when the control plane refused
        /// the change or did not answer.
        func route(_ change: RouteChange) throws(StepError) -> ExpectationResult {
            do {
                return try apply { control throws(OrchestratorError) in try LiveRoutes.send(change.routes, to: change.to, control: control) }
            } catch {
                throw StepError("route \(change.to): \(error.message)")
            }
        }

        /// Makes a change through the control plane (`send` returns the snapshot version it
        /// made) and waits until every live sidecar applied it.
        func apply(_ send: (String) throws(OrchestratorError) -> Int) throws(StepError) -> ExpectationResult {
            guard let control = state.control else { throw StepError("the topology runs without the mesh") }
            let timeout = LiveRoutes.defaultTimeout
            let expected = "by every sidecar within \(timeout.meshbedDescription)"
            let started = Posix.monotonicNanoseconds()
            let version: Int
            do {
                version = try send(control)
            } catch {
                throw StepError(error.message)
            }
            switch LiveRoutes.waitUntilApplied(version: version, control: control, timeout: timeout, since: started) {
            case .success(let applied):
                let sidecars = "\(applied.sidecars) sidecar\(applied.sidecars == 1 ? "" : "s")"
                return ExpectationResult(name: "applied", expected: expected,
                                         measured: "version \(applied.version) by \(sidecars) in \(applied.milliseconds) ms", passed: true)
            case .failure(let error):
                return ExpectationResult(name: "applied", expected: expected, measured: error.message, passed: false)
            }
        }

        /// Thaws every paused process.
        mutating func resumeAll() {
            for pid in paused { Posix.sendSignal(ProcessSignal.resume, to: pid) }
            paused.removeAll()
        }

        /// The app and sidecar pids of the selected instances that still belong to this run.
        func pids(_ selector: InstanceSelector) -> [Int32] {
            ProcessFaults.pids(of: ProcessFaults.instances(service: selector.service, version: selector.version, index: selector.instance, in: state), in: state)
        }

        /// `spec`'s requests; with `explain`, each asks the sidecars for their decision records.
        func traffic(_ spec: TrafficSpec, explain: Bool = false) throws(StepError) -> LoadResult {
            let through: String?
            if spec.from == TrafficSpec.outside {
                // No sidecar of ours: plaintext straight to an instance's inbound port.
                let instances = state.instances.filter { $0.service == spec.to }
                let alive = instances.first { $0.sidecarPID.map { ProcessSweeper.belongs($0, toRun: state.runID) } ?? false }
                guard let instance = alive ?? instances.first else { throw StepError("no instance of '\(spec.to)' to call from outside") }
                through = instance.inbound
            } else if let caller = spec.from {
                let instances = state.instances.filter { $0.service == caller }
                let alive = instances.first { instance in
                    [instance.pid, instance.sidecarPID].allSatisfy { $0.map { ProcessSweeper.belongs($0, toRun: state.runID) } ?? false }
                }
                guard let instance = alive ?? instances.first else { throw StepError("no instance of '\(caller)' to send from") }
                through = instance.outbound
            } else {
                through = state.ingress
            }
            guard let through, let address = SocketAddress(through) else { throw StepError("the topology runs without the mesh") }
            var configuration = LoadConfiguration(target: LoadTarget(address: address, hostHeader: spec.to, path: spec.path))
            configuration.method = spec.method
            configuration.headers = spec.headers
            if let body = spec.body { configuration.body = Array(body.utf8) }
            configuration.duration = spec.duration
            configuration.requests = spec.duration == nil ? (spec.requests ?? TrafficSpec.defaultRequests) : nil
            configuration.rate = spec.rate
            configuration.concurrency = spec.concurrency
            configuration.threads = 1
            configuration.timeout = spec.timeout
            configuration.explain = explain
            do {
                guard let interruption else { return try LoadGenerator.run(configuration) }
                return try LoadGenerator.run(configuration, stop: { interruption.check() != nil })
            } catch {
                throw StepError("load could not run: \(error)")
            }
        }

        /// Checks state expectations now, or polls every 200 ms until they all hold or `within` passes.
        func checkState(_ expectations: [Expectation], within: Duration?) -> [ExpectationResult] {
            let deadline = Posix.monotonicNanoseconds() + UInt64(within?.meshbedNanoseconds ?? 0)
            let needsRouting = expectations.contains { if case .routed = $0 { true } else if case .notRouted = $0 { true } else { false } }
            while true {
                let report = StatusReport.probe(state)
                let routing = needsRouting ? RoutedEndpoints.probe(state) : RoutedEndpoints(sidecars: [])
                let results = expectations.map { Self.check($0, report, routing: routing) }
                if results.allSatisfy(\.passed) || Posix.monotonicNanoseconds() >= deadline { return results }
                if idle(nanoseconds: 200_000_000) { return results }
            }
        }

        /// Counter expectations against the sidecars' counters now and `before` the action; with
        /// `within`, read again every 200 ms until they all hold or it passes (a mirrored copy
        /// may reach its sidecar just after the caller's response).
        func checkCounters(_ expectations: [Expectation], since before: SidecarCounters, within: Duration?) -> [ExpectationResult] {
            let deadline = Posix.monotonicNanoseconds() + UInt64(within?.meshbedNanoseconds ?? 0)
            while true {
                let after = SidecarCounters.read(state)
                let results = expectations.map { Self.check($0, before: before, after: after) }
                if results.allSatisfy(\.passed) || Posix.monotonicNanoseconds() >= deadline { return results }
                if idle(nanoseconds: 200_000_000) { return results }
            }
        }

        /// Metric expectations against the sidecars' `/metrics` now and `before` the action;
        /// with `within`, scraped again every 200 ms until they all hold or it passes.
        func checkMetrics(_ expectations: [Expectation], since before: SidecarScrapes, within: Duration?) -> [ExpectationResult] {
            let deadline = Posix.monotonicNanoseconds() + UInt64(within?.meshbedNanoseconds ?? 0)
            while true {
                let after = SidecarScrapes.read(state)
                let results = expectations.map { expectation in
                    guard case .metric(let selector, let comparison) = expectation else {
                        return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: "not a metric expectation", passed: false)
                    }
                    let (measured, passed) = SidecarScrapes.measure(selector, comparison, before: before, after: after)
                    return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: measured, passed: passed)
                }
                if results.allSatisfy(\.passed) || Posix.monotonicNanoseconds() >= deadline { return results }
                if idle(nanoseconds: 200_000_000) { return results }
            }
        }

        /// PromQL expectations against the real Prometheus, once it has scraped every target
        /// since now (the step's action is over); with `within`, asked again every 200 ms
        /// until they all hold or it passes.
        func checkPromQL(_ expectations: [Expectation], within: Duration?) -> [ExpectationResult] {
            func failing(_ why: String) -> [ExpectationResult] {
                expectations.map { ExpectationResult(name: $0.label, expected: $0.expected, measured: why, passed: false) }
            }
            guard let prometheus = state.prometheus else {
                return failing("no Prometheus: run the scenario with meshbed run --prometheus")
            }
            let since = Double(Posix.wallClockNanoseconds()) / 1e9
            let targets = state.sidecarAdmins.count + (state.control == nil ? 0 : 1)  // as the targets file lists them
            guard PrometheusQuery.waitForScrapes(of: targets, after: since, at: prometheus,
                                                 deadline: Posix.monotonicNanoseconds() + 15_000_000_000, idle: { idle(nanoseconds: $0) }) else {
                return failing("Prometheus at \(prometheus) had not scraped every sidecar within 15 s of the step's end")
            }
            let deadline = Posix.monotonicNanoseconds() + UInt64(within?.meshbedNanoseconds ?? 0)
            while true {
                let results = expectations.map { expectation in
                    guard case .promql(let query, let comparison) = expectation else {
                        return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: "not a promql expectation", passed: false)
                    }
                    switch PrometheusQuery.evaluate(query, at: prometheus) {
                    case .value(let value):
                        return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: comparison.format(value),
                                                 passed: comparison.holds(value))
                    case .failure(let why):
                        return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: why, passed: false)
                    }
                }
                if results.allSatisfy(\.passed) || Posix.monotonicNanoseconds() >= deadline { return results }
                if idle(nanoseconds: 200_000_000) { return results }
            }
        }

        /// A counter expectation against two readings of the sidecars' counters.
        static func check(_ expectation: Expectation, before: SidecarCounters, after: SidecarCounters) -> ExpectationResult {
            guard case .counter(let name, let comparison, let scope) = expectation else {
                return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: "not a counter expectation", passed: false)
            }
            let (measured, passed) = SidecarCounters.measure(name, comparison, scope: scope, before: before, after: after)
            return ExpectationResult(name: expectation.label, expected: expectation.expected, measured: measured, passed: passed)
        }

        /// A traffic expectation against a load result.
        static func check(_ expectation: Expectation, _ load: LoadResult) -> ExpectationResult {
            func result(_ measured: String, _ passed: Bool) -> ExpectationResult {
                ExpectationResult(name: expectation.label, expected: expectation.expected, measured: measured, passed: passed)
            }
            switch expectation {
            case .successRate(let comparison):
                let value = load.successRate
                // Open-loop requests that never went out (no free connection) are not in the rate: say how many.
                let unsent = load.notSent > 0 ? ", \(load.notSent) due but not sent" : ""
                return result(comparison.format(value) + " of \(load.total)\(unsent)", load.total > 0 && comparison.holds(value))
            case .status(let code, let comparison):
                let count = Double(load.statusCounts[code] ?? 0)
                if comparison.unit == .percent {
                    let share = load.total == 0 ? 0 : 100 * count / Double(load.total)
                    return result(comparison.format(share) + " (\(Int(count)) of \(load.total))", load.total > 0 && comparison.holds(share))
                }
                return result(comparison.format(count), comparison.holds(count))
            case .split(let shares, let tolerance):
                // Every response without a version: the load generator counts none by version.
                let responses = load.statusCounts.values.reduce(0, +)
                let counts = load.versionCounts.isEmpty && responses > 0 ? [LoadResult.noVersion: responses] : load.versionCounts
                let total = Double(counts.values.reduce(0, +))
                guard total > 0 else { return result("no responses", false) }
                let measured = counts.mapValues { 100 * Double($0) / total }
                var passed = true
                for (version, percent) in shares where abs((measured[version] ?? 0) - percent) > tolerance { passed = false }
                for (version, percent) in measured where !shares.contains(where: { $0.version == version }) && percent > tolerance {
                    passed = false
                }
                let order = shares.map(\.version) + measured.keys.filter { version in !shares.contains { $0.version == version } }.sorted()
                let text = order.map { "\($0) \(Comparison.number(((measured[$0] ?? 0) * 10).rounded() / 10))%" }.joined(separator: " ")
                return result(text, passed)
            case .latency(let percentile, let comparison):
                guard load.latency.count > 0 else { return result("no responses", false) }
                let value = Expectation.percentiles.first { $0.name == percentile }?.value ?? 100
                let nanoseconds = Double(value >= 100 ? load.latency.max : load.latency.percentile(value))
                return result(comparison.format(nanoseconds), comparison.holds(nanoseconds))
            case .attempts(let statistic, let comparison):
                guard let explain = load.explain, explain.explained > 0, let max = explain.maxAttempts, let mean = explain.meanAttempts else {
                    return result("no decision records in \(load.responses) responses", false)
                }
                let value = statistic == "mean" ? mean : Double(max)
                let shown = statistic == "mean" ? Comparison.number((mean * 100).rounded() / 100) : String(max)
                var measured = "\(shown) over \(explain.explained) requests"
                // Every answered request must have been explained, or the statistic leaves some out.
                if explain.unexplained > 0 {
                    measured += " (\(explain.unexplained) response\(explain.unexplained == 1 ? "" : "s") without a caller-side record)"
                }
                return result(measured, explain.unexplained == 0 && comparison.holds(value))
            case .ready, .notReady, .instancesReady, .routed, .notRouted, .counter, .metric, .promql:
                return result("not a traffic expectation", false)
            }
        }

        /// A state expectation against a status probe and what the sidecars route to.
        static func check(_ expectation: Expectation, _ report: StatusReport, routing: RoutedEndpoints) -> ExpectationResult {
            func result(_ measured: String, _ passed: Bool) -> ExpectationResult {
                ExpectationResult(name: expectation.label, expected: expectation.expected, measured: measured, passed: passed)
            }
            switch expectation {
            case .ready(let selector), .notReady(let selector):
                let selected = report.entries.filter { selector.matches(service: $0.instance.service, version: $0.instance.version, index: $0.instance.index) }
                let ready = selected.filter(\.ready).count
                let wantReady = if case .ready = expectation { true } else { false }
                return result("\(ready) of \(selected.count) ready", wantReady ? ready == selected.count : ready == 0)
            case .instancesReady(let comparison):
                let ready = report.entries.filter(\.ready).count
                return result("\(ready) of \(report.entries.count)", comparison.holds(Double(ready)))
            case .routed(let selector), .notRouted(let selector):
                let selected = report.entries.map(\.instance)
                    .filter { selector.matches(service: $0.service, version: $0.version, index: $0.index) }.map(\.id)
                let sidecars = routing.sidecars.count
                guard sidecars > 0 else { return result("no sidecar answered /config", false) }
                let everywhere = selected.filter { routing.holders(of: $0) == sidecars }
                let somewhere = selected.filter { routing.holders(of: $0) > 0 }
                if case .routed = expectation {
                    var measured = "\(everywhere.count) of \(selected.count) routed by all \(sidecars) sidecars"
                    if let missing = selected.first(where: { !everywhere.contains($0) }) {
                        measured += " (\(missing): \(routing.holders(of: missing)) of \(sidecars))"
                    }
                    return result(measured, everywhere.count == selected.count)
                }
                var measured = "\(somewhere.count) of \(selected.count) routed (\(sidecars) sidecars asked)"
                if let held = somewhere.first { measured += " (\(held): by \(routing.holders(of: held)) of \(sidecars))" }
                return result(measured, somewhere.isEmpty)
            default:
                return result("not a state expectation", false)
            }
        }
    }

    /// Why a step's action could not be done.
    struct StepError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
