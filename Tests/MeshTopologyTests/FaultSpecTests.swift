import MeshCore
import MeshTopology
import MeshTestSupport
import Testing

/// `FaultSpec.parse` on its own (a fault mapping at line 1, keys at column 1), checked
/// against `shopWithVersions`' services: `web`, `api`, `db` (v1 ×2, v2 ×1).
@Suite struct FaultSpecTests {
    let services = try! topology(shopWithVersions()).services

    func parse(_ fault: YNode, checked: Bool = true) -> Result<FaultSpec, TopologyErrors> {
        FaultSpec.parse(node: fault.node, file: "f.yaml", services: checked ? services : nil)
    }

    func fault(_ fault: YNode, sourceLocation: SourceLocation = #_sourceLocation) throws -> FaultSpec {
        switch parse(fault) {
        case .success(let spec): return spec
        case .failure(let errors):
            Issue.record("unexpected diagnostics:\n\(errors)\n\(fault.text)", sourceLocation: sourceLocation)
            throw errors
        }
    }

    func problems(_ fault: YNode) -> [String] {
        guard case .failure(let errors) = parse(fault) else { return [] }
        return errors.diagnostics.map(\.locatedMessage)
    }

    // MARK: valid faults of every kind

    @Test func requestLevelFaults() throws {
        let delay = try fault(["kind": "delay", "to": "db", "delay": "100ms", "percent": 50, "from": "api", "headers": ["X-Test": "a"]])
        #expect(delay == FaultSpec(action: .delay(.fixed(.milliseconds(100))), target: .link(from: "api", to: "db"), headers: ["x-test": "a"], trigger: .percent(50)))
        #expect(delay.kind == .delay)

        let abort = try fault(["kind": "abort", "to": "db", "status": 503, "requests": "3-5", "duration": "30s"])
        #expect(abort == FaultSpec(action: .abort(status: 503), target: .link(from: nil, to: "db"), trigger: .requests(3...5), duration: .seconds(30)))

        #expect(try fault(["kind": "abort", "to": "db", "status": 500, "first": 10]).trigger == .first(10))
        #expect(try fault(["kind": "abort", "to": "db", "status": 500, "requests": 4]).trigger == .requests(4...4))
        #expect(try fault(["kind": "abort", "to": "db", "status": 500]).trigger == .always)
        #expect(try fault(["kind": "abort", "to": "web", "status": 500, "from": "ingress"]).target == .link(from: "ingress", to: "web"))
    }

    @Test func sideVersionAndAbortExtras() throws {
        let server = try fault(["kind": "abort", "to": "db", "status": 503, "side": "server", "version": "v2"])
        #expect(server.side == .server && server.version == "v2")
        #expect(server.description == "{kind: abort, to: db, version: v2, status: 503, side: server}")
        #expect(try fault(["kind": "delay", "to": "db", "delay": "1s"]).side == .client)
        let extras = try fault(["kind": "abort", "to": "db", "status": 429, "body": "slow\ndown", "responseHeaders": ["Retry-After": "5"]])
        #expect(extras.action == .abort(status: 429, body: "slow\ndown", responseHeaders: ["retry-after": "5"]))
        #expect(extras.description == #"{kind: abort, to: db, status: 429, body: "slow\ndown", responseHeaders: {"retry-after": "5"}}"#)
    }

    @Test func delayDistributions() throws {
        #expect(try fault(["kind": "delay", "to": "db", "delay": ["distribution": "uniform", "min": "10ms", "max": "50ms"]]).action
            == .delay(.uniform(min: .milliseconds(10), max: .milliseconds(50))))
        #expect(try fault(["kind": "delay", "to": "db", "delay": ["distribution": "normal", "mean": "100ms", "stddev": "20ms"]]).action
            == .delay(.normal(mean: .milliseconds(100), stddev: .milliseconds(20))))
        let pareto = try fault(["kind": "delay", "to": "db", "delay": ["distribution": "pareto", "scale": "10ms", "shape": 1.5]])
        #expect(pareto.action == .delay(.pareto(scale: .milliseconds(10), shape: 1.5)))
        #expect(pareto.description == "{kind: delay, to: db, delay: {distribution: pareto, scale: 10ms, shape: 1.5}}")
    }

    @Test func delayDistributionMistakes() {
        // 1 kind, 2 to, 3 delay:, 4 distribution, 5 min/scale, 6 max/shape
        #expect(problems(["kind": "delay", "to": "db", "delay": ["distribution": "unifrom"]]) == [
            "4:17: distribution: expected one of uniform, normal, pareto, got 'unifrom' (did you mean 'uniform'?)",
        ])
        #expect(problems(["kind": "delay", "to": "db", "delay": ["min": "1ms"]]) == [
            "4:3: missing key 'distribution' in delay (one of uniform, normal, pareto, or write a duration)",
        ])
        #expect(problems(["kind": "delay", "to": "db", "delay": ["distribution": "uniform", "min": "50ms", "max": "10ms"]]) == [
            "6:8: max: expected a duration of at least min (50ms), got '10ms'",
        ])
        #expect(problems(["kind": "delay", "to": "db", "delay": ["distribution": "pareto", "scale": "10ms", "shape": 0]]) == [
            "6:10: shape: expected a number greater than 0 (at most 100), like 1.5, got '0'",
        ])
        #expect(problems(["kind": "delay", "to": "db", "delay": ["distribution": "normal", "mean": "1s"]]) == [
            "4:3: missing key 'stddev' in a normal delay",
        ])
    }

    @Test func sideVersionAndAbortMistakes() {
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "side": "both"]) == [
            "4:7: side: expected one of client, server, got 'both'",
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "version": "v9"]) == [
            "4:10: version: unknown version 'v9' of service 'db' (versions: v1, v2)",
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "responseHeaders": ["content-length": "1"]]) == [
            "5:3: responseHeaders: 'content-length' is set by the proxy itself and cannot be injected",
        ])
        #expect(problems(["kind": "latency", "to": "db", "latency": "1s", "side": "server"]) == ["4:1: key 'side' does not apply to a latency fault"])
    }

    @Test func linkFaults() throws {
        #expect(try fault(["kind": "latency", "to": "db", "latency": "100ms", "jitter": "20ms"]).action == .latency(.milliseconds(100), jitter: .milliseconds(20)))
        #expect(try fault(["kind": "latency", "to": "db", "latency": "1s"]).action == .latency(.seconds(1), jitter: .zero))
        #expect(try fault(["kind": "bandwidth", "to": "db", "rate": "64KB/s"]).action == .bandwidth(BandwidthRate(bytesPerSecond: 64_000)))
        #expect(try fault(["kind": "reset", "to": "db", "after": 1024]).action == .reset(afterBytes: 1024))
        #expect(try fault(["kind": "reset", "to": "db"]).action == .reset(afterBytes: nil))
        let timedReset = try fault(["kind": "reset", "to": "db", "timeout": "2s"])
        #expect(timedReset.action == .reset(afterBytes: nil, timeout: .seconds(2)))
        #expect(timedReset.description == "{kind: reset, to: db, timeout: 2s}")
        let timeout = try fault(["kind": "blackhole", "to": "db", "timeout": "1500ms"])
        #expect(timeout.action == .blackhole(timeout: .milliseconds(1500)))
        #expect(timeout.description == "{kind: blackhole, to: db, timeout: 1.5s}")
        #expect(problems(["kind": "blackhole", "to": "db", "timeout": "soon"]).count == 1)
        let blackhole = try fault(["kind": "blackhole", "to": "db", "from": "api", "duration": "5s"])
        #expect(blackhole == FaultSpec(action: .blackhole(), target: .link(from: "api", to: "db"), duration: .seconds(5)))
    }

    @Test func moreLinkFaultsWithDirectionAndToxicity() throws {
        #expect(try fault(["kind": "slowClose", "to": "db", "delay": "2s"]).action == .slowClose(.seconds(2)))
        let slicer = try fault(["kind": "slicer", "to": "db", "averageSize": 100, "sizeVariation": 30, "delay": "1ms", "direction": "upstream"])
        #expect(slicer.action == .slicer(averageSize: 100, sizeVariation: 30, delay: .milliseconds(1)))
        #expect(slicer.direction == .upstream && slicer.toxicity == 1)
        #expect(slicer.description == "{kind: slicer, to: db, averageSize: 100, sizeVariation: 30, delay: 1ms, direction: upstream}")
        let limit = try fault(["kind": "limitData", "to": "db", "bytes": 4096, "toxicity": 0.25, "direction": "both"])
        #expect(limit.action == .limitData(bytes: 4096) && limit.toxicity == 0.25 && limit.direction == .both)
        #expect(limit.description == "{kind: limitData, to: db, bytes: 4096, direction: both, toxicity: 0.25}")
        #expect(try fault(["kind": "latency", "to": "db", "latency": "10ms"]).direction == .downstream)
        // Mistakes.
        #expect(problems(["kind": "slicer", "to": "db", "averageSize": 10, "sizeVariation": 10]) == [
            "4:16: sizeVariation: expected a byte count below averageSize (10), got '10'",
        ])
        #expect(problems(["kind": "latency", "to": "db", "latency": "10ms", "toxicity": 50]) == [
            "4:11: toxicity: expected a probability from 0 to 1 (per connection), got '50'",
        ])
        #expect(problems(["kind": "latency", "to": "db", "latency": "10ms", "direction": "sideways"]) == [
            "4:12: direction: expected one of upstream, downstream, both, got 'sideways'",
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "direction": "upstream"]) == ["4:1: key 'direction' does not apply to an abort fault"])
        #expect(problems(["kind": "limitData", "to": "db"]) == ["1:1: missing key 'bytes' in limitData fault"])
    }

    @Test func partitions() throws {
        #expect(try fault(["kind": "partition", "between": ["api", "db"]]).target == .between("api", "db"))
        #expect(try fault(["kind": "partition", "from": "api", "to": "db"]).target == .link(from: "api", to: "db"))
        #expect(try fault(["kind": "partition", "between": ["ingress", "web"]]).action == .partition())
        // Without `from`: every caller is cut off from `to`.
        let everyCaller = try fault(["kind": "partition", "to": "db"])
        #expect(everyCaller.target == .link(from: nil, to: "db") && everyCaller.description == "{kind: partition, to: db}")
        // `timeout`: the open connections close that long after the partition starts.
        let closing = try fault(["kind": "partition", "to": "db", "timeout": "0s"])
        #expect(closing.action == .partition(timeout: .zero) && closing.description == "{kind: partition, to: db, timeout: 0s}")
    }

    @Test func packetLoss() throws {
        let loss = try fault(["kind": "loss", "to": "db", "percent": 30, "from": "api"])
        #expect(loss.action == .loss(percent: 30) && loss.target == .link(from: "api", to: "db") && loss.trigger == .always)
        #expect(loss.description == "{kind: loss, to: db, from: api, percent: 30}")
        #expect(try fault(["kind": "loss", "to": "db", "percent": 0.5, "duration": "10s"]).description == "{kind: loss, to: db, percent: 0.5, duration: 10s}")
        #expect(problems(["kind": "loss", "to": "db"]) == ["1:1: missing key 'percent' in loss fault"])
        #expect(problems(["kind": "loss", "to": "db", "percent": 0]) == ["3:10: percent: expected a percentage of packets above 0, at most 100, got '0'"])
        #expect(problems(["kind": "loss", "to": "db", "percent": 30, "first": 2]) == ["4:1: key 'first' does not apply to a loss fault"])
    }

    @Test func processFaultsAndTheInstancesTheySelect() throws {
        let topology = try topology(shopWithVersions())
        let kill = try fault(["kind": "kill", "service": "db", "version": "v1", "instance": 1])
        #expect(kill.target == .instances(service: "db", version: "v1", instance: 1))
        #expect(kill.selectedInstances(in: topology).map(\.id) == ["db-v1-1"])
        // Without a version, `instance` counts over all of the service's instances.
        let pause = try fault(["kind": "pause", "service": "db", "instance": 2, "duration": "10s"])
        #expect(pause.selectedInstances(in: topology).map(\.id) == ["db-v2-0"])
        #expect(try fault(["kind": "restart", "service": "db", "version": "v1"]).selectedInstances(in: topology).map(\.id) == ["db-v1-0", "db-v1-1"])
        #expect(try fault(["kind": "resume", "service": "web"]).selectedInstances(in: topology).map(\.id) == ["web-v1-0"])
        #expect(try fault(["kind": "abort", "to": "db", "status": 500]).selectedInstances(in: topology).isEmpty)
    }

    @Test func withoutServicesNamesAreNotChecked() {
        guard case .success(let spec) = parse(["kind": "kill", "service": "anything", "version": "v7", "instance": 9], checked: false) else {
            Issue.record("expected success")
            return
        }
        #expect(spec.target == .instances(service: "anything", version: "v7", instance: 9))
    }

    @Test func descriptionIsAFlowMapping() throws {
        let abort = try fault(["kind": "abort", "to": "db", "from": "api", "status": 503, "percent": 12.5, "headers": ["x-user": "a\"b"], "duration": "1m"])
        #expect(abort.description == #"{kind: abort, to: db, from: api, status: 503, headers: {"x-user": "a\"b"}, percent: 12.5, duration: 1m}"#)
        #expect(try fault(["kind": "delay", "to": "db", "delay": "1.5s", "requests": "2-4"]).description == #"{kind: delay, to: db, delay: 1.5s, requests: "2-4"}"#)
        #expect(try fault(["kind": "partition", "between": ["api", "db"]]).description == "{kind: partition, between: [api, db]}")
        #expect(try fault(["kind": "kill", "service": "db", "instance": 0]).description == "{kind: kill, service: db, instance: 0}")
        #expect(try fault(["kind": "bandwidth", "to": "db", "rate": "64KiB/s"]).description == "{kind: bandwidth, to: db, rate: 64KiB/s}")
    }

    // MARK: mistakes

    @Test func kindIsRequiredAndChecked() {
        #expect(problems(["to": "db"]) == ["1:1: missing key 'kind' in fault"])
        #expect(problems(["kind": "abrt", "to": "db"]) == [
            "1:7: kind: expected one of delay, abort, latency, bandwidth, reset, blackhole, slowClose, slicer, limitData, partition, loss, kill, pause, resume, restart, got 'abrt' (did you mean 'abort'?)",
        ])
        #expect(problems(["kind": "abrt", "tooo": "db"]) == [
            "1:7: kind: expected one of delay, abort, latency, bandwidth, reset, blackhole, slowClose, slicer, limitData, partition, loss, kill, pause, resume, restart, got 'abrt' (did you mean 'abort'?)",
            "2:1: unknown key 'tooo' in fault (did you mean 'to'?)",
        ])
        #expect(problems("abort") == ["1:1: fault: expected a mapping with a 'kind', got 'abort'"])
    }

    @Test func fieldsPerKind() {
        // 1 kind: delay, 2 to: db, 3 delay: 1s, 4 status: 503, 5 stauts: 1
        #expect(problems(["kind": "delay", "to": "db", "delay": "1s", "status": 503]) == ["4:1: key 'status' does not apply to a delay fault"])
        #expect(problems(["kind": "abort", "to": "db", "stauts": 503]) == [
            "1:1: missing key 'status' in abort fault",
            "3:1: unknown key 'stauts' in abort fault (did you mean 'status'?)",
        ])
        #expect(problems(["kind": "delay", "to": "db"]) == ["1:1: missing key 'delay' in delay fault"])
        #expect(problems(["kind": "abort", "status": 503]) == ["1:1: missing key 'to' in abort fault"])
        #expect(problems(["kind": "restart", "service": "db", "duration": "1s"]) == ["3:1: key 'duration' does not apply to a restart fault"])
        #expect(problems(["kind": "kill", "to": "db"]) == ["1:1: missing key 'service' in kill fault", "2:1: key 'to' does not apply to a kill fault"])
        #expect(problems(["kind": "latency", "to": "db", "latency": "1s", "percent": 5]) == ["4:1: key 'percent' does not apply to a latency fault"])
    }

    @Test func badValues() {
        #expect(problems(["kind": "abort", "to": "db", "status": 700]) == ["3:9: status: expected an HTTP status 200–599, got '700'"])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "percent": 120]) == ["4:10: percent: expected a percentage 0–100, got '120'"])
        #expect(problems(["kind": "delay", "to": "db", "delay": "soon"]) == ["3:8: delay: expected a duration like 250ms, 2s or 1m, got 'soon'"])
        #expect(problems(["kind": "delay", "to": "db", "delay": "0s"]) == ["3:8: delay: expected a duration greater than 0s, got '0s'"])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "duration": "-1s"]) == ["4:11: duration: expected a duration like 250ms, 2s or 1m, got '-1s'"])
        #expect(problems(["kind": "bandwidth", "to": "db", "rate": "64kbps"]) == ["3:7: rate: expected a rate like 64KB/s, 1.5MB/s or 512B/s, got '64kbps'"])
        #expect(problems(["kind": "reset", "to": "db", "after": -1]) == ["3:8: after: expected a byte count ≥ 0, got '-1'"])
        #expect(problems(["kind": "latency", "to": "db", "latency": "100ms", "jitter": "200ms"]) == [
            "4:9: jitter: expected a duration of at most the latency (100ms), got '200ms'",
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "headers": ["a b": "c"]]) == ["5:3: headers: 'a b' is not a valid header name"])
    }

    @Test func triggers() {
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "percent": 50, "first": 3]) == [
            "5:1: key 'first' cannot be combined with 'percent' (a fault has one trigger)",
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "requests": "5-3"]) == [
            #"4:11: requests: expected a range of request numbers like "3-5" (from 1, first ≤ last), got '5-3'"#,
        ])
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "requests": "0-3"]).count == 1)
        #expect(problems(["kind": "abort", "to": "db", "status": 503, "first": 0]) == ["4:8: first: expected an integer ≥ 1, got '0'"])
    }

    @Test func unknownNames() {
        #expect(problems(["kind": "abort", "to": "dbb", "status": 503]) == ["2:5: to: unknown service 'dbb' (did you mean 'db'?)"])
        #expect(problems(["kind": "abort", "to": "ingress", "status": 503]) == ["2:5: to: unknown service 'ingress'"])
        #expect(problems(["kind": "abort", "to": "db", "from": "wbe", "status": 503]) == ["3:7: from: unknown service 'wbe' (did you mean 'web'?)"])
        #expect(problems(["kind": "abort", "to": "db", "from": "db", "status": 503]) == ["3:7: from: 'db' is also the destination ('to')"])
        #expect(problems(["kind": "kill", "service": "cache"]) == ["2:10: service: unknown service 'cache'"])
        #expect(problems(["kind": "kill", "service": "db", "version": "v9"]) == ["3:10: version: unknown version 'v9' of service 'db' (versions: v1, v2)"])
    }

    @Test func instanceIndexes() {
        #expect(problems(["kind": "kill", "service": "db", "instance": 3]) == [
            "3:11: instance: expected an instance index 0–2 (service 'db' has 3 instances), got '3'",
        ])
        #expect(problems(["kind": "kill", "service": "db", "version": "v2", "instance": 1]) == [
            "4:11: instance: expected an instance index 0 (version 'v2' of service 'db' has 1 instance), got '1'",
        ])
        #expect(problems(["kind": "kill", "service": "db", "instance": -1]) == ["3:11: instance: expected an instance index ≥ 0, got '-1'"])
    }

    @Test func partitionMistakes() {
        // 1 kind: partition, 2 between:, 3 - api
        #expect(problems(["kind": "partition", "between": ["api"]]) == ["3:3: between: expected a list of two service names, got a list"])
        // 2 between:, 3 - db, 4 - db
        #expect(problems(["kind": "partition", "between": ["db", "db"]]) == ["4:5: between: a partition needs two different services"])
        #expect(problems(["kind": "partition", "between": ["db", "dbz"]]) == ["4:5: between: unknown service 'dbz' (did you mean 'db'?)"])
        // 2 between:, 3 - api, 4 - db, 5 from: web
        #expect(problems(["kind": "partition", "between": ["api", "db"], "from": "web"]) == [
            "5:1: key 'from' cannot be combined with 'between' (a partition is one or the other)",
        ])
        #expect(problems(["kind": "partition"]) == ["1:1: missing key 'between' (or 'to', with 'from' for one caller) in partition fault"])
        #expect(problems(["kind": "partition", "from": "db"]) == ["1:1: missing key 'to' in partition fault"])
    }

    @Test func topologyFaults() throws {
        // 15 faults:, 16 - kind: abort, 17 to: db, 18 status: 503, 19 - kind: pause, 20 service: dbs
        let doc = shopWithVersions([("faults", [["kind": "abort", "to": "db", "status": 503], ["kind": "pause", "service": "dbs"]])])
        #expect(diagnostic(doc) == "20:14: service: unknown service 'dbs' (did you mean 'db'?)")
        let valid = shopWithVersions([("faults", [["kind": "abort", "to": "db", "status": 503]])])
        #expect(try topology(valid).faults == [FaultSpec(action: .abort(status: 503), target: .link(from: nil, to: "db"))])
        #expect(diagnostic(shopWithVersions([("faults", ["kind": "abort"])])) == "16:3: faults: expected a list of faults, got a mapping")
    }

    @Test func oneOffFaultsCannotBeActiveFromTheStart() {
        // 15 faults:, 16 - kind: resume, 17 service: db, 18 - kind: pause, 19 service: db
        let doc = shopWithVersions([("faults", [["kind": "resume", "service": "db"], ["kind": "pause", "service": "db"]])])
        #expect(diagnostic(doc) == "16:11: kind: a resume fault happens once and cannot be active from the start")
    }
}
