import MeshNetwork
import Testing

/// The network of `--runtime netns` as a value: names that carry the run's tag, addresses,
/// the `ip` batches, and the choice of a /24 that overlaps nothing of the machine's.
@Suite struct NetnsPlanTests {
    static let run = "c967553e0123456789abcdef01234567"

    @Test func namesAndAddressesCarryTheRunsTag() {
        let plan = NetnsPlan(runID: Self.run, instances: [("web-v1-0", "web"), ("api-v1-0", "api")], subnet: "10.201.126")
        #expect(plan.tag == "c967553e" && plan.bridge == "mbc967553e" && plan.gateway == "10.201.126.1")
        #expect(plan.hosts.map(\.namespace) == ["mb-c967553e-web-v1-0", "mb-c967553e-api-v1-0"])
        #expect(plan.hosts.map(\.veth) == ["mbc967553ev0", "mbc967553ev1"])
        #expect(plan.hosts.map(\.address) == ["10.201.126.2", "10.201.126.3"])
        #expect(plan.hosts.allSatisfy { $0.veth.utf8.count <= 15 && plan.bridge.utf8.count <= 15 })  // IFNAMSIZ
        #expect(plan.host(of: "api-v1-0")?.address == "10.201.126.3" && plan.host(of: "db-v1-0") == nil)
    }

    @Test func scriptsMakeAndRemoveEverythingInOrder() {
        let plan = NetnsPlan(runID: Self.run, instances: [("web-v1-0", "web")], subnet: "10.201.126")
        #expect(plan.createScript == """
            link add mbc967553e type bridge
            addr add 10.201.126.1/24 dev mbc967553e
            link set mbc967553e up
            netns add mb-c967553e-web-v1-0
            link add mbc967553ev0 type veth peer name eth0 netns mb-c967553e-web-v1-0
            link set mbc967553ev0 master mbc967553e up

            """)
        #expect(plan.namespaceScript(plan.hosts[0]) == """
            addr add 10.201.126.2/24 dev eth0
            link set eth0 up
            link set lo up
            route add default via 10.201.126.1

            """)
        #expect(plan.destroyScript == "link del mbc967553ev0\nnetns del mb-c967553e-web-v1-0\nlink del mbc967553e\n")
    }

    @Test func onlyTheRunsOwnNamesAreOwned() {
        for name in ["mbc967553e", "mb-c967553e-web-v1-0", "mbc967553ev12"] { #expect(NetnsPlan.isOwned(name, tag: "c967553e"), "\(name)") }
        for name in ["mbc967553f", "mb-c967553f-web-v1-0", "eth0", "docker0", "mbc967553", "xmbc967553e"] {
            #expect(!NetnsPlan.isOwned(name, tag: "c967553e"), "\(name)")
        }
    }

    @Test func aFreeSubnetOverlapsNoAddressOrRoute() throws {
        let first = try #require(NetnsPlan.freeSubnet(runID: Self.run, inUse: []))
        #expect(first.hasPrefix("10.2"))
        // Taken by an address, by a /16 route around it, or by a /8 that is not ours: the next free one.
        let second = try #require(NetnsPlan.freeSubnet(runID: Self.run, inUse: ["\(first).1/24"]))
        #expect(second != first)
        let octets = first.split(separator: ".")
        let aroundSixteen = try #require(NetnsPlan.freeSubnet(runID: Self.run, inUse: ["\(octets[0]).\(octets[1]).0.0/16"]))
        #expect(!aroundSixteen.hasPrefix("\(octets[0]).\(octets[1])."))
        #expect(NetnsPlan.freeSubnet(runID: Self.run, inUse: ["10.0.0.0/8"]) == nil)
        #expect(NetnsPlan.freeSubnet(runID: Self.run, inUse: ["0.0.0.0/0"]) == nil)
        // A /32 inside it, and text that is no network at all (ignored).
        let host = try #require(NetnsPlan.freeSubnet(runID: Self.run, inUse: ["\(first).77", "fe80::1/64", "nonsense"]))
        #expect(host == second)
        // Another run points elsewhere.
        #expect(NetnsPlan.freeSubnet(runID: "0123456789abcdef0123456789abcdef", inUse: []) != first)
    }
}
