import Foundation
import MeshContainer
import MeshIO
import MeshNetwork
import MeshOrchestrator
import MeshTLS
import MeshTopology
import Testing

/// The plan: start order, command lines, environment and ports, with and without the mesh.
@Suite struct LaunchPlanTests {
    static let store = StateDirectory("/state")

    static func plan(mesh: Bool = true, ingressPort: Int = 0) -> LaunchPlan {
        let topology = sampleTopology(ingressPort: ingressPort)
        let count = LaunchPlan.portCount(for: topology, mesh: mesh)
        return LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: mesh, executable: "/bin/meshbed",
                          stateDirectory: store, runID: "run1", supervisorPID: 99, ports: Array(20000..<(20000 + count)),
                          environment: ["PATH": "/usr/bin", "MESHBED_SUPERVISOR_PID": "1", "MESHBED_RUN_ID": "stale", "HTTP_PROXY": "x"])
    }

    func spec(_ plan: LaunchPlan, _ name: String) throws -> ProcessSpec {
        try #require(plan.stages.flatMap(\.processes).first { $0.record.name == name })
    }

    func environment(_ spec: ProcessSpec) -> [String: String] {
        Dictionary(spec.request.environment.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }, uniquingKeysWith: { _, last in last })
    }

    @Test func portCounts() {
        let topology = sampleTopology()
        #expect(LaunchPlan.portCount(for: topology, mesh: false) == 5)
        #expect(LaunchPlan.portCount(for: topology, mesh: true) == 3 + 5 * 4)
        #expect(LaunchPlan.portCount(for: sampleTopology(ingressPort: 8080), mesh: true) == 2 + 5 * 4)
    }

    @Test func underNetnsEachInstanceRunsInItsNamespaceOnItsOwnAddress() throws {
        let topology = sampleTopology()
        let count = LaunchPlan.portCount(for: topology, mesh: true, netns: true)
        #expect(count == 3)  // the control plane, the ingress and its admin: instances take fixed ports on their own address
        let network = NetnsPlan(runID: "c967553e00", instances: topology.instances.map { ($0.id, $0.service) }, subnet: "10.201.126")
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: Self.store, runID: "c967553e00", supervisorPID: 99, ports: Array(20000..<(20000 + count)),
                              environment: [:], network: network, ipExecutable: "/usr/sbin/ip")
        #expect(plan.state.network == network && plan.state.runtime == "netns")
        #expect(plan.state.control == "10.201.126.1:20000" && plan.state.ingress == "127.0.0.1:20002")
        let control = try spec(plan, "control")
        #expect(control.request.executable == "/bin/meshbed"
                    && control.request.arguments.suffix(4) == ["--bind", "10.201.126.1", "--netns", "/state/shop/network.json"])
        let host = try #require(network.host(of: "web-v1-0"))
        let instance = try #require(plan.state.instances.first { $0.id == "web-v1-0" })
        #expect(instance.app == "\(host.address):8080" && instance.inbound == "\(host.address):15006"
                    && instance.outbound == "\(host.address):15001" && instance.admin == "\(host.address):15000")
        let app = try spec(plan, "web-v1-0.app")
        #expect(app.request.executable == "/usr/sbin/ip")
        #expect(app.request.arguments.prefix(4) == ["netns", "exec", "mb-c967553e-web-v1-0", "/bin/meshbed"])
        #expect(app.request.arguments.contains("--bind") && app.request.arguments.contains(host.address))
        #expect(environment(app)["MESHBED_OUTBOUND"] == "\(host.address):15001" && environment(app)["MESHBED_PORT"] == "8080")
        let sidecar = try spec(plan, "web-v1-0.sidecar")
        #expect(sidecar.request.arguments.prefix(5) == ["netns", "exec", "mb-c967553e-web-v1-0", "/bin/meshbed", "proxy"])
        #expect(sidecar.request.arguments.suffix(2) == ["--bind", host.address])
        #expect(sidecar.request.arguments.contains("--control") && sidecar.request.arguments.contains("10.201.126.1:20000"))
        // The ingress stays on the host.
        let ingress = try spec(plan, "ingress")
        #expect(ingress.request.executable == "/bin/meshbed" && !ingress.request.arguments.contains("--bind"))
    }

    @Test func underContainersEveryProcessIsAForegroundContainerInItsPod() throws {
        let topology = sampleTopology()
        let count = LaunchPlan.portCount(for: topology, mesh: true, container: true)
        #expect(count == 1)  // the ingress's published port: the rest have addresses of their own
        var network = NetnsPlan(runID: "c967553e00", instances: topology.instances.map { ($0.id, $0.service) }, subnet: "10.201.126")
        network.controlAddress = "10.201.126.254"
        network.ingressAddress = "10.201.126.253"
        let run = ContainerRun(engine: ContainerEngine(kind: .podman, executable: "/usr/bin/podman"), image: "localhost/meshbed:latest",
                               tag: "c967553e")
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: Self.store, runID: "c967553e00", supervisorPID: 99, ports: [20000],
                              environment: ["PATH": "/usr/bin", "MESHBED_SUPERVISOR_PID": "1"], caSecret: "s3cret", network: network,
                              containers: run, supervisorStartTime: 777)
        #expect(plan.state.runtime == "container" && plan.state.containers == run)
        #expect(plan.state.control == "10.201.126.254:15010" && plan.state.ingress == "127.0.0.1:20000"
                    && plan.state.ingressAdmin == "10.201.126.253:15000")
        // Two gates: the control plane beside the apps, the sidecars beside the ingress gateway.
        #expect(plan.stages.map(\.title) == ["control plane and apps", "sidecars and ingress gateway"])

        let app = try spec(plan, "web-v1-0.app")
        #expect(app.request.executable == "/bin/meshbed")
        #expect(Array(app.request.arguments.prefix(6)) == ["exec-app", "--", "/usr/bin/podman", "run", "--rm", "--name"])
        let arguments = app.request.arguments
        #expect(arguments.contains("mb-c967553e-web-v1-0-app") && arguments.contains("--pod") && arguments.contains("mb-c967553e-web-v1-0"))
        let image = try #require(arguments.firstIndex(of: "localhost/meshbed:latest"))
        #expect(arguments[image + 1] == "echo" && arguments.suffix(4) == ["--bind", "10.201.126.2", "--threads", "1"])
        // Values stay off the command line: the container takes them from the client's environment;
        // its meshbed watches the supervisor instead of following its parent.
        let passed = zip(arguments, arguments.dropFirst()).filter { $0.0 == "-e" }.map(\.1)
        #expect(Set(passed) == ["MESHBED_RUN_ID", "MESHBED_STATE", "MESHBED_SERVICE", "MESHBED_VERSION", "MESHBED_INSTANCE", "MESHBED_PORT",
                                "MESHBED_OUTBOUND", "http_proxy", "HTTP_PROXY", "MESHBED_SUPERVISOR_WATCH"])
        #expect(environment(app)["MESHBED_SUPERVISOR_WATCH"] == "99:777" && environment(app)["MESHBED_SUPERVISOR_PID"] == "99")

        let sidecar = try spec(plan, "web-v1-0.sidecar")
        #expect(sidecar.request.arguments.contains("mb-c967553e-web-v1-0-sidecar") && sidecar.request.arguments.suffix(2) == ["--bind", "10.201.126.2"])
        #expect(environment(sidecar)["MESHBED_INSTANCE"] == "web-v1-0" && sidecar.request.arguments.contains("MESHBED_BOOTSTRAP_TOKEN"))
        #expect(!sidecar.request.arguments.contains { $0.contains("s3cret") })

        let control = try spec(plan, "control").request.arguments
        #expect(control.contains("10.201.126.254") && control.contains("/topologies:/topologies:ro") && control.contains("/state/shop:/state/shop:rw")
                    && control.contains("/run/netns:/run/netns:rslave") && control.contains("NET_ADMIN") && control.contains("SYS_ADMIN"))
        #expect(control.suffix(8) == ["--port", "15010", "--bind", "10.201.126.254", "--netns", "/state/shop/network.json", "--ca-dir", "/state/shop/ca"])
        let ingress = try spec(plan, "ingress").request.arguments
        let port = try #require(ingress.lastIndex(of: "--port"))
        #expect(ingress.contains("127.0.0.1:20000:8080") && ingress.suffix(2) == ["--bind", "10.201.126.253"] && ingress[port + 1] == "8080")
    }

    @Test func prometheusStartsLastThroughExecApp() throws {
        let topology = sampleTopology()
        let count = LaunchPlan.portCount(for: topology, mesh: true, prometheus: true)
        #expect(count == LaunchPlan.portCount(for: topology, mesh: true) + 1)
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: Self.store, runID: "run1", supervisorPID: 99, ports: Array(20000..<(20000 + count)),
                              environment: [:], prometheus: "/usr/bin/prometheus")
        #expect(plan.stages.last?.title == "prometheus")
        let server = try spec(plan, "prometheus")
        let address = try #require(plan.state.prometheus)
        #expect(server.record.role == .prometheus && server.request.executable == "/bin/meshbed")
        #expect(server.request.arguments == [
            "exec-app", "--dir", "/state/shop/prometheus", "--", "/usr/bin/prometheus",
            "--config.file=/state/shop/prometheus/prometheus.yml", "--web.listen-address=\(address)",
            "--storage.tsdb.path=/state/shop/prometheus/data", "--storage.tsdb.retention.time=1d", "--log.level=warn",
        ])
        #expect(environment(server)["MESHBED_SUPERVISOR_PID"] == "99")
        // Without the mesh there is nothing to scrape: no Prometheus.
        let apps = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: false, executable: "/bin/meshbed",
                              stateDirectory: Self.store, runID: "run1", supervisorPID: 99,
                              ports: Array(20000..<(20000 + LaunchPlan.portCount(for: topology, mesh: false))), environment: [:],
                              prometheus: "/usr/bin/prometheus")
        #expect(apps.state.prometheus == nil && !apps.stages.contains { $0.title == "prometheus" })
    }

    @Test func prometheusTargetsNameEveryAdminPort() throws {
        let plan = Self.plan()
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(PrometheusTargets.fileSD(plan.state))) as? [[String: Any]])
        #expect(groups.count == plan.state.instances.count + 2)
        let first = try #require(groups.first)
        #expect(first["targets"] as? [String] == [plan.state.instances[0].admin!])
        #expect(first["labels"] as? [String: String] == ["topology": "shop", "service": plan.state.instances[0].service,
                                                          "version": plan.state.instances[0].version, "instance": plan.state.instances[0].id])
        #expect(groups[groups.count - 2]["labels"] as? [String: String] == ["topology": "shop", "service": "ingress", "instance": "ingress"])
        #expect(groups.last?["targets"] as? [String] == [plan.state.control!])
        #expect(groups.last?["labels"] as? [String: String] == ["topology": "shop", "service": "control-plane", "instance": "control"])
        #expect(PrometheusTargets.configuration(targetsFile: "/state/shop/prometheus-targets.json").contains("- files: ['/state/shop/prometheus-targets.json']"))
    }

    @Test func stagesInStartOrder() {
        let plan = Self.plan()
        #expect(plan.stages.map(\.title) == ["control plane", "apps", "sidecars", "ingress gateway"])
        #expect(plan.stages[1].processes.map(\.record.name) ==
            ["web-v1-0.app", "api-v1-0.app", "api-v1-1.app", "api-v2-0.app", "legacy-v1-0.app"])
        #expect(plan.stages[2].processes.map(\.record.name) ==
            ["web-v1-0.sidecar", "api-v1-0.sidecar", "api-v1-1.sidecar", "api-v2-0.sidecar", "legacy-v1-0.sidecar"])
        #expect(plan.state.processes.map(\.name) == plan.stages.flatMap { $0.processes.map(\.record.name) })
        #expect(plan.state.phase == .starting)
        #expect(plan.state.supervisorPID == 99)
        #expect(plan.state.runID == "run1")
    }

    @Test func everyPortIsUsedOnce() {
        let plan = Self.plan()
        var addresses = [plan.state.control, plan.state.ingress, plan.state.ingressAdmin].compactMap { $0 }
        for instance in plan.state.instances {
            addresses += [instance.app, instance.inbound, instance.outbound, instance.admin].compactMap { $0 }
        }
        #expect(addresses.count == LaunchPlan.portCount(for: sampleTopology(), mesh: true))
        #expect(Set(addresses).count == addresses.count)
    }

    @Test func fixedIngressPortIsKept() {
        #expect(Self.plan(ingressPort: 8080).state.ingress == "127.0.0.1:8080")
    }

    @Test func controlPlaneCommandLine() throws {
        let plan = Self.plan()
        let control = try spec(plan, "control")
        let port = LaunchPlanTests.port(plan.state.control)
        #expect(control.request.executable == "/bin/meshbed")
        #expect(control.request.arguments == ["control", "--topology", "/topologies/shop.yaml", "--port", port])
        #expect(control.request.outputPath == "/state/shop/logs/control.log")
        #expect(control.probe == .http(address: plan.state.control!, path: "/v1/instances", accepts: 200...200))
    }

    @Test func controlPlaneExportsToTheOTLPEndpointGiven() throws {
        let topology = sampleTopology(ingressPort: 0)
        let count = LaunchPlan.portCount(for: topology, mesh: true)
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: Self.store, runID: "run1", supervisorPID: 99, ports: Array(20000..<(20000 + count)),
                              environment: [:], otlpEndpoint: "http://127.0.0.1:4318/v1/traces")
        #expect(try spec(plan, "control").request.arguments.suffix(2) == ["--otlp-endpoint", "http://127.0.0.1:4318/v1/traces"])
        #expect(try spec(Self.plan(), "control").request.arguments.contains("--otlp-endpoint") == false)
    }

    @Test func echoAppCommandLines() throws {
        let plan = Self.plan()
        let web = try #require(plan.state.instances.first { $0.id == "web-v1-0" })
        #expect(try spec(plan, "web-v1-0.app").request.arguments == [
            "echo", "--port", Self.port(web.app), "--service", "web", "--version", "v1", "--instance", "web-v1-0",
            "--call", "api", "--outbound", web.outbound!, "--threads", "1",
        ])
        let v2 = try #require(plan.state.instances.first { $0.id == "api-v2-0" })
        #expect(try spec(plan, "api-v2-0.app").request.arguments == [
            "echo", "--port", Self.port(v2.app), "--service", "api", "--version", "v2", "--instance", "api-v2-0",
            "--error-rate", "12.5", "--latency", "50ms", "--outbound", v2.outbound!, "--threads", "1",
        ])
        #expect(try spec(plan, "web-v1-0.app").probe == .http(address: web.app, path: "/healthz", accepts: 200...200))
    }

    @Test func echoAppsWithoutTheMeshMakeNoCalls() throws {
        let plan = Self.plan(mesh: false)
        #expect(plan.stages.map(\.title) == ["apps"])
        let web = try #require(plan.state.instances.first)
        #expect(try spec(plan, "web-v1-0.app").request.arguments == [
            "echo", "--port", Self.port(web.app), "--service", "web", "--version", "v1", "--instance", "web-v1-0", "--threads", "1",
        ])
        #expect(plan.state.control == nil && plan.state.ingress == nil)
        #expect(web.inbound == nil && web.outbound == nil && web.admin == nil)
        let env = environment(try spec(plan, "web-v1-0.app"))
        #expect(env["MESHBED_OUTBOUND"] == nil && env["http_proxy"] == nil)
    }

    @Test func customAppRunsThroughExecAppWithItsEnvironment() throws {
        let plan = Self.plan()
        let legacy = try #require(plan.state.instances.first { $0.id == "legacy-v1-0" })
        let port = Self.port(legacy.app)
        let app = try spec(plan, "legacy-v1-0.app")
        #expect(app.request.arguments == ["exec-app", "--dir", "/topologies", "--", "python3", "app.py", "--port", port])
        let env = environment(app)
        #expect(env["MESHBED_SERVICE"] == "legacy")
        #expect(env["MESHBED_VERSION"] == "v1")
        #expect(env["MESHBED_INSTANCE"] == "legacy-v1-0")
        #expect(env["MESHBED_PORT"] == port)
        #expect(env["MESHBED_OUTBOUND"] == legacy.outbound)
        #expect(env["http_proxy"] == "http://\(legacy.outbound!)")
        #expect(env["HTTP_PROXY"] == "http://\(legacy.outbound!)")
        #expect(env["LOG_LEVEL"] == "debug")
        #expect(env["SELF"] == "http://127.0.0.1:\(port)/")
        #expect(env["PATH"] == "/usr/bin")
        #expect(app.probe == .http(address: legacy.app, path: "/healthz", accepts: 200...299))
        #expect(legacy.custom && legacy.readyPath == "/healthz")
    }

    @Test func everyChildFollowsItsSupervisor() {
        for spec in Self.plan().stages.flatMap(\.processes) {
            let env = environment(spec)
            #expect(env["MESHBED_SUPERVISOR_PID"] == "99", "\(spec.record.name)")
            #expect(env["MESHBED_RUN_ID"] == "run1", "\(spec.record.name)")
            // Each variable once: the stale inherited values are gone, not shadowed.
            let names = spec.request.environment.map { $0.split(separator: "=")[0] }
            #expect(Set(names).count == names.count, "\(spec.record.name)")
            #expect(spec.request.newProcessGroup && !spec.request.newSession)
        }
    }

    @Test func sidecarAndGatewayCommandLines() throws {
        let plan = Self.plan()
        let control = try #require(plan.state.control)
        let web = try #require(plan.state.instances.first)
        let sidecar = try spec(plan, "web-v1-0.sidecar")
        #expect(sidecar.request.arguments == [
            "proxy", "--instance", "web-v1-0", "--service", "web", "--version", "v1", "--control", control,
            "--inbound", Self.port(web.inbound), "--outbound", Self.port(web.outbound), "--admin", Self.port(web.admin),
            "--app", Self.port(web.app), "--app-ready", "/healthz",
        ])
        #expect(sidecar.probe == .http(address: web.admin!, path: "/ready", accepts: 200...200))
        #expect(try spec(plan, "legacy-v1-0.sidecar").request.arguments.suffix(2) == ["--app-ready", "/healthz"])
        let ingress = try spec(plan, "ingress")
        #expect(ingress.request.arguments == [
            "proxy", "--gateway", "--port", Self.port(plan.state.ingress), "--admin", Self.port(plan.state.ingressAdmin),
            "--control", control,
        ])
        #expect(ingress.probe == .http(address: plan.state.ingressAdmin!, path: "/ready", accepts: 200...200))
    }

    @Test func identities() {
        let plan = Self.plan()
        #expect(plan.state.instances.map(\.identity) == [
            "spiffe://meshbed.local/ns/shop/sa/web", "spiffe://meshbed.local/ns/shop/sa/api", "spiffe://meshbed.local/ns/shop/sa/api",
            "spiffe://meshbed.local/ns/shop/sa/api", "spiffe://meshbed.local/ns/shop/sa/legacy",
        ])
    }

    static func port(_ address: String?) -> String {
        String(address?.split(separator: ":").last ?? "")
    }
}

/// With mTLS, the control plane gets the CA secret and its root directory, and each sidecar
/// and the gateway its own bootstrap token, in the environment only (never on a command line).
@Suite struct LaunchPlanMTLSTests {
    @Test func tokensGoToEachProxyAndTheSecretToTheControlPlane() throws {
        let topology = sampleTopology()
        let count = LaunchPlan.portCount(for: topology, mesh: true)
        let secret = String(repeating: "ab", count: 32)
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: LaunchPlanTests.store, runID: "run1", supervisorPID: 99,
                              ports: Array(20000..<(20000 + count)), environment: ["MESHBED_BOOTSTRAP_TOKEN": "stale"], caSecret: secret)
        let specs = plan.stages.flatMap(\.processes)
        func environment(_ name: String) throws -> [String: String] {
            try LaunchPlanTests().environment(#require(specs.first { $0.record.name == name }))
        }
        let control = try #require(specs.first { $0.record.name == "control" })
        #expect(control.request.arguments.suffix(2) == ["--ca-dir", "/state/shop/ca"])
        #expect(try environment("control")["MESHBED_CA_SECRET"] == secret)
        for instance in topology.instances {
            let token = try environment("\(instance.id).sidecar")["MESHBED_BOOTSTRAP_TOKEN"]
            #expect(token == (try BootstrapToken.token(secret: secret, instance: instance.id)))
            #expect(try environment("\(instance.id).app")["MESHBED_BOOTSTRAP_TOKEN"] == nil)
            #expect(try environment("\(instance.id).sidecar")["MESHBED_CA_SECRET"] == nil)
        }
        #expect(try environment("ingress")["MESHBED_BOOTSTRAP_TOKEN"] == (try BootstrapToken.token(secret: secret, instance: "ingress")))
        for spec in specs {
            #expect(!spec.request.arguments.contains { $0.contains(secret) })
        }
    }

    @Test func aTopologyWithoutMTLSGetsNoSecrets() throws {
        let base = sampleTopology()
        let topology = Topology(name: base.name, mesh: MeshSettings(mtls: .disabled), ingress: base.ingress, services: base.services)
        let count = LaunchPlan.portCount(for: topology, mesh: true)
        let plan = LaunchPlan(topology: topology, file: "/topologies/shop.yaml", mesh: true, executable: "/bin/meshbed",
                              stateDirectory: LaunchPlanTests.store, runID: "run1", supervisorPID: 99,
                              ports: Array(20000..<(20000 + count)), environment: [:], caSecret: "x")
        for spec in plan.stages.flatMap(\.processes) {
            #expect(!spec.request.environment.contains { $0.hasPrefix("MESHBED_BOOTSTRAP_TOKEN=") || $0.hasPrefix("MESHBED_CA_SECRET=") })
            #expect(!spec.request.arguments.contains("--ca-dir"))
        }
    }
}
