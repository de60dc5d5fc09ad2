import MeshConfig
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshMetrics
import MeshNetwork
import MeshTopology
import MeshTrace
import MeshYAML

/// The control plane's state and API logic: the instance registry, the versioned snapshots,
/// the held long polls and the spans the sidecars send (kept, and pushed to a collector).
/// Confined to one event loop: every method runs on `loop`'s thread (connections' handlers
/// call it there; `ControlPlane` hops there for everything else), so it takes no lock.
final class ControlState: @unchecked Sendable {
    let loop: EventLoop
    let configuration: ControlConfiguration
    private var registry: InstanceRegistry
    private var store: SnapshotStore
    /// The faults in force; every change goes into `store` as a new version.
    private var faultBook = FaultBook()
    /// Fires when the earliest fault with a `duration` is due.
    private var faultTimer: TimerID?
    /// `store.current` encoded once per version, for every poll that gets it.
    private var snapshotResponse: ControlResponse
    private var polls: [ObjectIdentifier: HeldPoll] = [:]
    /// Toxiproxy answers waiting for the sidecars to apply their change.
    private var heldAnswers: [ObjectIdentifier: HeldAnswer] = [:]
    /// Exchanges waiting for `GET /v1/metrics` (forgotten when their connection closes).
    private var gatherings: Set<ObjectIdentifier> = []
    private var expiryTimer: TimerID?
    /// The loop's time at the last expiry check (or the start).
    private var lastExpiryCheck: UInt64?
    private var stopped = false
    /// The most recent traces (`POST /v1/spans`, `GET /v1/traces`).
    private var spanStore: SpanStore
    /// Pushes spans to the OTLP collector, when there is one.
    private let exporter: OTLPExporter?
    /// Partitions and packet loss as packet filters (`--runtime netns`), when there is a network.
    private let networkFilter: NetworkFaultFilter?

    init(topology: Topology, loop: EventLoop, configuration: ControlConfiguration) {
        self.loop = loop
        self.configuration = configuration
        registry = InstanceRegistry(topology: topology, heartbeatTimeout: configuration.heartbeatTimeout)
        // The topology's faults are in force from version 1, before any sidecar's first request.
        var book = FaultBook()
        let start = configuration.clock?.now() ?? loop.now
        for fault in topology.faults { _ = book.add(fault, now: start) }
        faultBook = book
        networkFilter = configuration.network.map(NetworkFaultFilter.init)
        store = SnapshotStore(topology: topology, faults: Self.sidecarFaults(book.configs, network: configuration.network != nil))
        snapshotResponse = Self.response(for: store.current)
        spanStore = SpanStore(maxTraces: configuration.maxTraces, maxSpans: configuration.maxSpans,
                              maxSpansPerTrace: min(1_000, configuration.maxSpans))
        exporter = configuration.otlpEndpoint.map { OTLPExporter(endpoint: $0, loop: loop) }
        applyNetworkFaults()
    }

    /// The faults the sidecars apply: all of them, but those the network enforces when there
    /// is one (`NetworkFaultRules.isNetworkFault`).
    static func sidecarFaults(_ faults: [FaultConfig], network: Bool) -> [FaultConfig] {
        network ? faults.filter { !NetworkFaultRules.isNetworkFault($0) } : faults
    }

    /// Loads the packet filters for the faults in force (netns only); a failure is logged
    /// (it is thrown to the caller where one waits: `addFault`).
    @discardableResult
    private func applyNetworkFaults() -> NetworkError? {
        guard let networkFilter else { return nil }
        do {
            try networkFilter.apply(faultBook.configs)
            return nil
        } catch {
            Posix.writeAll(2, Array("meshbed control: network faults: \(error.message)\n".utf8))
            return error
        }
    }

    /// Why `spec` cannot be enforced on this control plane's network, or nil.
    func networkRefusal(_ spec: FaultSpec) -> String? {
        if networkFilter == nil {
            return spec.kind == .loss
                ? "kind: loss drops packets, which only --runtime netns or container gives each instance (here every instance shares this machine's loopback); use latency, reset or blackhole"
                : nil
        }
        guard spec.kind == .loss || spec.action == .partition(timeout: nil) else { return nil }
        return NetworkFaultFilter.unavailableReason()
    }

    // MARK: life cycle

    /// Starts checking heartbeat ages.
    func start() {
        precondition(loop.inEventLoop)
        guard !stopped, expiryTimer == nil else { return }
        lastExpiryCheck = loop.now
        scheduleExpiry()
        scheduleFaultExpiry()
    }

    /// Stops the expiry checks and answers every held poll with 204; later polls with
    /// nothing new are answered 204 at once (so a graceful shutdown need not wait).
    func stop() {
        precondition(loop.inEventLoop)
        stopped = true
        if let expiryTimer { loop.cancel(expiryTimer) }
        expiryTimer = nil
        if let faultTimer { loop.cancel(faultTimer) }
        faultTimer = nil
        exporter?.stop()
        let waiting = polls
        polls = [:]
        for poll in waiting.values {
            loop.cancel(poll.timer)
            ControlResponse.noContent.send(on: poll.exchange)
        }
        let held = heldAnswers
        heldAnswers = [:]
        for answer in held.values {
            loop.cancel(answer.timer)
            answer.response.send(on: answer.exchange)
        }
    }

    // MARK: reading and changing state

    var snapshot: MeshSnapshot { store.current }

    var heldPollCount: Int { polls.count }

    /// The time heartbeats are stamped and aged with: the configured clock, else the loop's.
    private var now: UInt64 { configuration.clock?.now() ?? loop.now }

    func instances() -> [InstanceStatus] {
        registry.statuses(now: now)
    }

    /// Marks `instance` down (its app or sidecar ended) and publishes at once when that
    /// removes an endpoint; returns the version in force afterwards.
    func markDown(_ instance: String) throws(ControlError) -> Int {
        // Once stopped, the loop may have ended and the caller's thread owns the state
        // (`ControlPlane.onLoop`): a late call after shutdown must not trap.
        precondition(loop.inEventLoop || stopped)
        if try registry.markDown(instance) { refresh() }
        return store.version
    }

    /// Replaces the routes of `destination`; returns the new version.
    func replaceRoutes(destination: String, routes: [RouteConfig]) throws(ControlError) -> Int {
        // Once stopped, the loop may have ended and the caller's thread owns the state
        // (`ControlPlane.onLoop`): a late call after shutdown must not trap.
        precondition(loop.inEventLoop || stopped)
        try store.replaceRoutes(destination: destination, routes: routes)
        published()
        return store.version
    }

    /// Sets the mTLS mode; returns the new version.
    func setMTLS(mode: MTLSConfig.Mode) throws(ControlError) -> Int {
        precondition(loop.inEventLoop || stopped)
        try store.setMTLS(mode: mode)
        published()
        return store.version
    }

    /// The faults in force.
    var faults: [FaultConfig] { faultBook.configs }

    /// Adds a fault (already checked against the topology); returns it with its id and the
    /// version that carries it.
    func addFault(_ spec: FaultSpec) throws(ControlError) -> (fault: FaultConfig, version: Int) {
        precondition(loop.inEventLoop || stopped)
        if spec.kind.isProcessLevel {
            throw ControlError(status: 422, "kind: \(spec.kind.rawValue) is a process fault: `meshbed fault add` and scenario steps carry it out through the supervisor, not the control plane")
        }
        if let refusal = UnsupportedFeatures.faultRefusal(spec.kind) ?? networkRefusal(spec) { throw ControlError(status: 422, refusal) }
        let fault = faultBook.add(spec, now: now)
        if let failure = applyNetworkFaults() {
            _ = faultBook.remove(id: fault.id)
            applyNetworkFaults()
            throw ControlError(status: 500, "the network could not enforce \(spec.kind.rawValue): \(failure.message)")
        }
        faultsChanged()
        return (fault, store.version)
    }

    /// Clears the fault `id`, or every fault when nil; returns how many went and the version.
    func clearFaults(id: String?) throws(ControlError) -> (cleared: Int, version: Int) {
        precondition(loop.inEventLoop || stopped)
        let cleared: Int
        if let id {
            guard faultBook.remove(id: id) else {
                let known = faultBook.configs.map(\.id)
                throw ControlError(status: 404, "no fault '\(id)' in force" + (known.isEmpty ? " (none is)" : "; faults: \(known.joined(separator: ", "))"))
            }
            cleared = 1
        } else {
            cleared = faultBook.removeAll()
        }
        if cleared > 0 { faultsChanged() }
        return (cleared, store.version)
    }

    /// Publishes the fault book (and loads the network's filters) and re-arms the timer of its next expiry.
    private func faultsChanged() {
        applyNetworkFaults()
        store.setFaults(Self.sidecarFaults(faultBook.configs, network: networkFilter != nil))
        published()
        scheduleFaultExpiry()
    }

    private func scheduleFaultExpiry() {
        if let faultTimer { loop.cancel(faultTimer) }
        faultTimer = nil
        guard !stopped, let next = faultBook.nextExpiry else { return }
        let current = now
        let wait = next > current ? next - current : 0
        faultTimer = loop.schedule(after: wait) { [weak self] in
            guard let self, !self.stopped else { return }
            self.faultTimer = nil
            if self.faultBook.expire(now: self.now) > 0 {
                self.faultsChanged()
            } else {
                self.scheduleFaultExpiry()
            }
        }
    }

    // MARK: requests

    /// Answers one complete request (or holds it, for a long poll).
    func handle(method: HTTPMethod, path: String, query: String?, body: [UInt8], on exchange: HTTPServerConnection) {
        switch ControlRoute.resolve(method: method, path: path) {
        case .notFound:
            ControlResponse.error(ControlError(status: 404, "no such endpoint: \(path)")).send(on: exchange)
        case .methodNotAllowed(let allow):
            var response = ControlResponse.error(ControlError(status: 405, "\(path) allows \(allow) only"))
            response.allow = allow
            response.send(on: exchange)
        case .route(let route):
            do throws(ControlError) {
                if let response = try answer(route, query: query, body: body, on: exchange) {
                    response.send(on: exchange)
                }
            } catch {
                ControlResponse.error(error).send(on: exchange)
            }
        }
    }

    /// Answers `exchange` with every registered sidecar's `/metrics` added up, once they all
    /// answered (or 2 s passed; the silent ones are named in a comment and counted).
    private func gatherMetrics(for exchange: HTTPServerConnection) {
        let key = ObjectIdentifier(exchange)
        gatherings.insert(key)
        let admins = registry.records.compactMap { record in
            record.registered && !record.down ? record.admin.map { (instance: record.id, address: $0) } : nil
        }
        MetricsGathering.start(admins, on: loop, timeout: 2_000_000_000) { [weak self] aggregate, silent in
            guard let self, gatherings.remove(key) != nil else { return }
            var text = Array("# meshbed: the counters and histograms of \(aggregate.scrapes) sidecars added up".utf8)
            if !silent.isEmpty { text += Array("; no scrape from \(silent.joined(separator: ", "))".utf8) }
            text.append(10)
            var writer = PrometheusWriter()
            writer.family("meshbed_aggregate_sidecars", .gauge, help: "Sidecars in this aggregate (answered=\"true\") and those that gave no scrape.")
            writer.sample("meshbed_aggregate_sidecars", [("answered", "true")], integer: aggregate.scrapes)
            writer.sample("meshbed_aggregate_sidecars", [("answered", "false")], integer: silent.count)
            text += writer.bytes + aggregate.render()
            ControlResponse(status: 200, body: text, contentType: ControlMetrics.contentType).send(on: exchange)
        }
    }

    /// The exchange's connection closed before it was answered: forget a held poll.
    func exchangeAborted(_ exchange: HTTPServerConnection) {
        gatherings.remove(ObjectIdentifier(exchange))
        if let poll = polls.removeValue(forKey: ObjectIdentifier(exchange)) {
            loop.cancel(poll.timer)
        }
        if let answer = heldAnswers.removeValue(forKey: ObjectIdentifier(exchange)) {
            loop.cancel(answer.timer)
        }
    }

    /// The response to `route`, or nil when the exchange is held.
    private func answer(_ route: ControlRoute, query: String?, body: [UInt8], on exchange: HTTPServerConnection) throws(ControlError) -> ControlResponse? {
        switch route {
        case .heartbeat:
            let heartbeat = try ControlJSON.decode(Heartbeat.self, from: body, what: "heartbeat")
            try registry.heartbeat(heartbeat, now: now)
            refresh()
            return .noContent
        case .ack:
            let ack = try ControlJSON.decode(Ack.self, from: body, what: "ack")
            try registry.ack(ack, currentVersion: store.version)
            releaseHeldAnswers()
            return .noContent
        case .snapshot:
            return try poll(query: query, on: exchange)
        case .currentSnapshot:
            return snapshotResponse
        case .instances:
            return .json(instances())
        case .routes(let destination):
            let routes = try ControlJSON.decode([RouteConfig].self, from: body, what: "route list")
            let version = try replaceRoutes(destination: destination, routes: routes)
            return .json(["version": version])
        case .down(let instance):
            return .json(["version": try markDown(instance)])
        case .health:
            return .json(Health(status: "ok", version: store.version))
        case .metrics:
            let body = ControlMetrics.render(version: store.version, instances: instances(), faults: faultBook.entries.count, heldPolls: polls.count,
                                             spans: spanStore, export: exporter?.queue)
            return ControlResponse(status: 200, body: body, contentType: ControlMetrics.contentType)
        case .aggregateMetrics:
            gatherMetrics(for: exchange)
            return nil
        case .mtls:
            let change = try ControlJSON.decode(MTLSChange.self, from: body, what: "mtls change")
            return .json(["version": try setMTLS(mode: change.mode)])
        case .telemetry:
            return .json(TelemetryBody(store.telemetry))
        case .setTelemetry:
            let telemetry = try Self.telemetryChange(from: body, over: store.telemetry)
            store.setTelemetry(telemetry)
            published()
            return .json(TelemetryChanged(version: store.version, telemetry: TelemetryBody(telemetry)))
        case .faults:
            return .json(FaultList(faults: faultBook.configs))
        case .addFault:
            let spec = try Self.faultSpec(from: body, topology: store.topology)
            let (fault, version) = try addFault(spec)
            var response = ControlResponse.json(AddedFault(fault: fault, version: version))
            response.status = 201
            return response
        case .clearFaults:
            let (cleared, version) = try clearFaults(id: nil)
            return .json(["cleared": cleared, "version": version])
        case .clearFault(let id):
            let (cleared, version) = try clearFaults(id: id)
            return .json(["cleared": cleared, "version": version])
        case .toxiproxy(let route):
            let api = ToxiproxyAPI(topology: store.topology, instances: instances())
            let outcome = api.answer(route, body: body, book: &faultBook, now: now)
            guard outcome.changed else { return outcome.response }
            faultsChanged()
            return answerWhenApplied(outcome.response, on: exchange)
        case .spans:
            let spans: [Span]
            do {
                spans = try SpanBatch.decode(body)
            } catch {
                throw .badRequest("invalid spans: \(error.message)")
            }
            let kept = spanStore.append(spans)
            exporter?.export(spans)
            return .json(["accepted": kept, "dropped": spans.count - kept], status: 202)
        case .traces:
            return .json(TraceList(traces: spanStore.recent(limit: try Self.traceLimit(query))))
        case .trace(let id):
            if let problem = Span.idProblem(id, digits: 32) { throw .badRequest("trace id: \(problem)") }
            guard let spans = spanStore.trace(id) else { throw ControlError(status: 404, "no trace '\(id)' (it was never received, or was evicted by newer ones)") }
            return .json(SpanBatch(spans: spans))
        case .certificates:
            guard let authority = configuration.certificateAuthority else {
                throw ControlError(status: 404, "no certificates are issued: mesh.mtls is 'disabled' in this topology")
            }
            let request = try ControlJSON.decode(CertificateRequest.self, from: body, what: "certificate request")
            return .json(try authority.sign(request))
        }
    }

    /// `GET /v1/snapshot?instance=ID&after=N`: the snapshot at once when it is newer than N,
    /// otherwise held until the version changes or the hold time is up (204). `after`
    /// defaults to 0. An `after` above the current version comes from a sidecar that knew
    /// an earlier run of the control plane (versions restart at 1): it gets the current
    /// snapshot at once, so it resynchronizes instead of waiting for the numbers to catch up.
    private func poll(query: String?, on exchange: HTTPServerConnection) throws(ControlError) -> ControlResponse? {
        let parameters = QueryParameters(query)
        guard let instance = parameters["instance"], !instance.isEmpty else {
            throw .badRequest("missing query parameter 'instance'")
        }
        guard registry.knows(instance) else {
            throw .badRequest("instance: unknown instance '\(instance)'; not in the topology")
        }
        var after = 0
        if let text = parameters["after"] {
            guard let value = Int(text), value >= 0 else {
                throw .badRequest("after: expected a version number >= 0, got '\(text)'")
            }
            after = value
        }
        if store.version != after { return snapshotResponse }
        if stopped { return .noContent }
        let key = ObjectIdentifier(exchange)
        let timer = loop.schedule(after: configuration.holdTime) { [weak self] in
            guard let self, let poll = self.polls.removeValue(forKey: key) else { return }
            ControlResponse.noContent.send(on: poll.exchange)
        }
        polls[key] = HeldPoll(exchange: exchange, instance: instance, after: after, timer: timer)
        return nil
    }

    // MARK: answers held until applied

    /// `response` once every live sidecar applied the current version: at once when they
    /// have, else nil (held; answered from `releaseHeldAnswers` or, after `applyTimeout`, 504).
    private func answerWhenApplied(_ response: ControlResponse, on exchange: HTTPServerConnection) -> ControlResponse? {
        let version = store.version
        if let ready = answer(response, version: version, final: stopped) { return ready }
        let key = ObjectIdentifier(exchange)
        let timer = loop.schedule(after: configuration.applyTimeout) { [weak self] in
            guard let self, let held = self.heldAnswers.removeValue(forKey: key) else { return }
            self.answer(held.response, version: held.version, final: true)?.send(on: held.exchange)
        }
        heldAnswers[key] = HeldAnswer(exchange: exchange, version: version, response: response, timer: timer)
        return nil
    }

    /// What a held answer for `version` is now: `response` when applied, an error when a
    /// sidecar rejected it or (`final`) some are still behind, nil to go on waiting.
    private func answer(_ response: ControlResponse, version: Int, final: Bool) -> ControlResponse? {
        switch registry.application(of: version) {
        case .applied:
            return response
        case .rejected(let instance, let reason):
            return ToxiproxyError(error: "the change is in force on the control plane (version \(version)), but sidecar \(instance) rejected it: \(reason)", status: 500).response
        case .waiting(let behind):
            guard final else { return nil }
            let seconds = Double(configuration.applyTimeout) / 1e9
            return ToxiproxyError(error: "the change is in force on the control plane (version \(version)), but \(behind.joined(separator: ", ")) did not apply it within \(seconds) s", status: 504).response
        }
    }

    /// Answers the held answers whose version every live sidecar applied (or rejected).
    private func releaseHeldAnswers() {
        guard !heldAnswers.isEmpty else { return }
        for (key, held) in heldAnswers {
            guard let response = answer(held.response, version: held.version, final: false) else { continue }
            heldAnswers[key] = nil
            loop.cancel(held.timer)
            response.send(on: held.exchange)
        }
    }

    // MARK: versions

    private func scheduleExpiry() {
        expiryTimer = loop.schedule(after: configuration.expiryInterval) { [weak self] in
            guard let self, !self.stopped else { return }
            self.checkExpiry()
            self.scheduleExpiry()
        }
    }

    /// Takes out instances whose heartbeats are overdue. A check more than an interval late
    /// means the control plane itself did not run (stopped, suspended, starved of CPU): the
    /// heartbeats sent meanwhile wait unread in its sockets, so the time it lost is credited to
    /// every instance first. (With a configured clock, time is the tests' to move.)
    private func checkExpiry() {
        let loopNow = loop.now
        if configuration.clock == nil, let last = lastExpiryCheck, loopNow > last &+ 2 * configuration.expiryInterval {
            registry.credit(pause: loopNow - last - configuration.expiryInterval, now: now)
        }
        lastExpiryCheck = loopNow
        if registry.expire(now: now) { refresh() }
        releaseHeldAnswers()  // a sidecar that went away is no longer waited for
        // With a configured clock the fault timer (loop time) does not follow the tests' time.
        if configuration.clock != nil, faultBook.expire(now: now) > 0 { faultsChanged() }
    }

    /// Takes the registry's healthy endpoints into the snapshots; publishes a new version
    /// when they changed.
    private func refresh() {
        if store.update(endpoints: registry.endpoints()) { published() }
    }

    /// A new version exists: encode it once and answer every held poll with it.
    private func published() {
        snapshotResponse = Self.response(for: store.current)
        let waiting = polls
        polls = [:]
        for poll in waiting.values {
            loop.cancel(poll.timer)
            snapshotResponse.send(on: poll.exchange)
        }
    }

    private static func response(for snapshot: MeshSnapshot) -> ControlResponse {
        var response = ControlResponse.json(snapshot)
        response.snapshotVersion = snapshot.version
        return response
    }

    /// A fault in a request body: the topology's form written in JSON (which is YAML), read
    /// by the same reader as `faults:`, names checked against the topology.
    static func faultSpec(from body: [UInt8], topology: Topology) throws(ControlError) -> FaultSpec {
        let node = try document(body, what: "fault")
        switch FaultSpec.parse(node: node, file: "fault", services: topology.services) {
        case .success(let spec): return spec
        case .failure(let errors):
            throw .badRequest("invalid fault: " + errors.diagnostics.map(\.message).joined(separator: "; "))
        }
    }

    /// A request body read as one JSON (or YAML) document; `what` names it in messages.
    static func document(_ body: [UInt8], what: String) throws(ControlError) -> YAMLNode {
        guard !body.isEmpty else { throw .badRequest("expected a JSON \(what) in the body, got an empty body") }
        guard let text = String(validating: body, as: UTF8.self) else { throw .badRequest("invalid \(what): the body is not UTF-8") }
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(text)
        } catch {
            throw .badRequest("invalid \(what): the body is not valid JSON (\(error))")
        }
        guard documents.count == 1, let node = documents.first else { throw .badRequest("invalid \(what): expected one JSON object") }
        return node
    }

    /// The body of `PUT /v1/telemetry` over the settings in force: the keys and checks of the
    /// topology's `mesh:` (`accessLog`, `tracing: {sampling, maxTracesPerSecond}`).
    static func telemetryChange(from body: [UInt8], over current: TelemetryConfig) throws(ControlError) -> TelemetryConfig {
        let node = try document(body, what: "telemetry change")
        var log = DiagnosticLog(file: "telemetry")
        guard let telemetry = MeshSettings.readTelemetryChange(node, over: current, log: &log) else {
            throw .badRequest("invalid telemetry change: " + log.errors.diagnostics.map(\.message).joined(separator: "; "))
        }
        return telemetry
    }

    /// `limit` of `GET /v1/traces`: 1 to the most traces kept, 20 when absent.
    static func traceLimit(_ query: String?) throws(ControlError) -> Int {
        guard let text = QueryParameters(query)["limit"] else { return 20 }
        guard let limit = Int(text), limit >= 1 else { throw .badRequest("limit: expected a number of traces >= 1, got '\(text)'") }
        return limit
    }

    /// The body of `GET /v1/traces`.
    private struct TraceList: Encodable {
        let traces: [TraceSummary]
    }

    /// The body of `GET /v1/telemetry`: the settings in force, as `mesh:` writes them.
    struct TelemetryBody: Encodable {
        struct Tracing: Encodable {
            let sampling: Double
            let maxTracesPerSecond: Int
        }
        let accessLog: Bool
        let tracing: Tracing

        init(_ settings: TelemetryConfig) {
            accessLog = settings.accessLog
            tracing = Tracing(sampling: settings.tracingSampling, maxTracesPerSecond: settings.maxTracesPerSecond)
        }
    }

    /// The body of `PUT /v1/telemetry`.
    private struct TelemetryChanged: Encodable {
        let version: Int
        let telemetry: TelemetryBody
    }

    /// The body of `GET /v1/faults`.
    private struct FaultList: Encodable {
        let faults: [FaultConfig]
    }

    /// The body of `POST /v1/faults`.
    private struct AddedFault: Encodable {
        let fault: FaultConfig
        let version: Int
    }

    /// The body of `GET /v1/health`.
    private struct Health: Encodable {
        let status: String
        let version: Int
    }
}
