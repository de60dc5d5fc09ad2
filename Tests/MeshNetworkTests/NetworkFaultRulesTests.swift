import MeshConfig
@testable import MeshNetwork
import Testing

/// Partitions and packet loss as each namespace's filter table: exact rules, on the right
/// side, from the right addresses, and an empty table where no fault is.
@Suite struct NetworkFaultRulesTests {
    static let plan = NetnsPlan(runID: "c967553e00", instances: [("web-v1-0", "web"), ("api-v1-0", "api"), ("api-v1-1", "api")],
                                subnet: "10.201.126")
    static let empty = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"

    static func table(_ lines: [String]) -> String {
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + lines.map { $0 + "\n" }.joined() + "COMMIT\n"
    }

    @Test func aOneWayPartitionDropsTheCallersConnectionsAtEveryInstanceOfTheCallee() {
        var fault = FaultConfig(id: "f1", kind: "partition")
        fault.from = "web"
        fault.to = "api"
        let tables = NetworkFaultRules.tables([fault], plan: Self.plan)
        let rule = "-A INPUT -i eth0 -s 10.201.126.2/32 -p tcp --dport 15006 -m comment --comment \"meshbed fault f1\" -j DROP"
        #expect(tables["mb-c967553e-api-v1-0"] == Self.table([rule]) && tables["mb-c967553e-api-v1-1"] == Self.table([rule]))
        #expect(tables["mb-c967553e-web-v1-0"] == Self.empty)
    }

    @Test func betweenIsBothWaysAndTheIngressIsTheBridgesAddress() {
        var between = FaultConfig(id: "f2", kind: "partition")
        (between.from, between.to, between.direction) = ("web", "api", "both")
        let tables = NetworkFaultRules.tables([between], plan: Self.plan)
        #expect(tables["mb-c967553e-web-v1-0"]?.contains("-s 10.201.126.3/32") == true && tables["mb-c967553e-web-v1-0"]?.contains("-s 10.201.126.4/32") == true)
        #expect(tables["mb-c967553e-api-v1-0"]?.contains("-s 10.201.126.2/32") == true)
        var ingress = FaultConfig(id: "f3", kind: "partition")
        (ingress.from, ingress.to) = ("ingress", "web")
        #expect(NetworkFaultRules.tables([ingress], plan: Self.plan)["mb-c967553e-web-v1-0"]?.contains("-s 10.201.126.1/32 -p tcp --dport 15006") == true)
        var everyone = FaultConfig(id: "f4", kind: "partition")
        everyone.to = "web"
        #expect(NetworkFaultRules.tables([everyone], plan: Self.plan)["mb-c967553e-web-v1-0"]
                    == Self.table(["-A INPUT -i eth0 -p tcp --dport 15006 -m comment --comment \"meshbed fault f4\" -j DROP"]))
    }

    @Test func lossDropsAShareOfThePacketsArrivingOnEth0() {
        var loss = FaultConfig(id: "f5", kind: "loss")
        (loss.to, loss.from, loss.percent) = ("web", "api", 30)
        let table = NetworkFaultRules.tables([loss], plan: Self.plan)["mb-c967553e-web-v1-0"]
        let random = "-m statistic --mode random --probability 0.3000 -m comment --comment \"meshbed fault f5\" -j DROP"
        #expect(table == Self.table(["-A INPUT -i eth0 -s 10.201.126.3/32 \(random)", "-A INPUT -i eth0 -s 10.201.126.4/32 \(random)"]))
        #expect(NetworkFaultRules.probability(0.5) == "0.0050" && NetworkFaultRules.probability(100) == "1.0000")
        // Without `from`: every peer but the host's management traffic (the control plane, admin scrapes).
        var every = FaultConfig(id: "f7", kind: "loss")
        (every.to, every.percent) = ("web", 10)
        let spared = "-m statistic --mode random --probability 0.1000 -m comment --comment \"meshbed fault f7\" -j DROP"
        #expect(NetworkFaultRules.tables([every], plan: Self.plan)["mb-c967553e-web-v1-0"] == Self.table([
            "-A INPUT -i eth0 ! -s 10.201.126.1/32 \(spared)", "-A INPUT -i eth0 -s 10.201.126.1/32 -p tcp --dport 15006 \(spared)",
        ]))
    }

    @Test func inContainersTheIngressAndTheControlPlaneHaveAddressesOfTheirOwn() {
        var plan = Self.plan
        plan.controlAddress = "10.201.126.254"
        plan.ingressAddress = "10.201.126.253"
        var ingress = FaultConfig(id: "f1", kind: "partition")
        (ingress.from, ingress.to) = ("ingress", "web")
        #expect(NetworkFaultRules.tables([ingress], plan: plan)["mb-c967553e-web-v1-0"]
                    == Self.table(["-A INPUT -i eth0 -s 10.201.126.253/32 -p tcp --dport 15006 -m comment --comment \"meshbed fault f1\" -j DROP"]))
        // Loss from every peer: the control plane's container is accepted first, the host's traffic spared.
        var every = FaultConfig(id: "f2", kind: "loss")
        (every.to, every.percent) = ("web", 10)
        let comment = "-m comment --comment \"meshbed fault f2\""
        #expect(NetworkFaultRules.tables([every], plan: plan)["mb-c967553e-web-v1-0"] == Self.table([
            "-A INPUT -i eth0 -s 10.201.126.254/32 \(comment) -j ACCEPT",
            "-A INPUT -i eth0 ! -s 10.201.126.1/32 -m statistic --mode random --probability 0.1000 \(comment) -j DROP",
        ]))
        var fromIngress = FaultConfig(id: "f3", kind: "loss")
        (fromIngress.to, fromIngress.from, fromIngress.percent) = ("web", "ingress", 10)
        #expect(NetworkFaultRules.tables([fromIngress], plan: plan)["mb-c967553e-web-v1-0"]?.contains("-s 10.201.126.253/32 -p tcp --dport 15006 -m statistic") == true)
    }

    @Test func sidecarFaultsAreNotTheNetworks() {
        var latency = FaultConfig(id: "f6", kind: "latency")
        latency.to = "api"
        var closing = FaultConfig(id: "f8", kind: "partition")
        (closing.to, closing.timeout) = ("api", "0s")
        var partition = FaultConfig(id: "f9", kind: "partition")
        partition.to = "api"
        #expect(!NetworkFaultRules.isNetworkFault(latency) && !NetworkFaultRules.isNetworkFault(closing) && NetworkFaultRules.isNetworkFault(partition))
        #expect(NetworkFaultRules.tables([latency, closing], plan: Self.plan).values.allSatisfy { $0 == Self.empty })
    }
}
