import MeshConfig
import MeshFaults
import MeshIO
@testable import MeshProxy
import Testing

/// Link faults and partitions compiled for one sidecar: per address, for this caller only;
/// a partition blocks new connections, blackholes open ones both ways, and names the
/// callers the destination's own inbound side drops.
@Suite struct LinkToxicsTests {
    static let addresses: [String: [SocketAddress]] = [
        "db": [SocketAddress("10.0.0.1:1001")!, SocketAddress("10.0.0.1:1002")!],
        "api": [SocketAddress("10.0.0.1:2001")!],
    ]

    static func fault(_ id: String, _ kind: String, from: String? = nil, to: String, direction: String? = nil) -> FaultConfig {
        var fault = FaultConfig(id: id, kind: kind)
        fault.from = from
        fault.to = to
        fault.direction = direction
        return fault
    }

    @Test func linkFaultsPerAddressForThisCallerOnly() throws {
        var latency = Self.fault("f1", "latency", to: "db", direction: "both")
        latency.latency = "20ms"
        latency.toxicity = 0.5
        var other = Self.fault("f2", "bandwidth", from: "web", to: "api")
        other.rate = 1000
        let links = try #require(try LinkToxics([latency, other], owner: FaultSet.Owner(service: "api"), addresses: Self.addresses))
        let toxics = try #require(links.byAddress[SocketAddress("10.0.0.1:1001")!])
        #expect(toxics.map(\.name) == ["f1-upstream", "f1-downstream"])
        #expect(toxics.allSatisfy { $0.kind == .latency(latency: .milliseconds(20), jitter: .zero) && $0.toxicity == 0.5 })
        #expect(links.byAddress[SocketAddress("10.0.0.1:2001")!] == nil)  // f2 is web's
        #expect(links.partitioned.isEmpty && links.partitionedCallers.isEmpty)
    }

    @Test func aPartitionBothWaysCutsEachSide() throws {
        let between = Self.fault("f1", "partition", from: "web", to: "db", direction: "both")
        let web = try #require(try LinkToxics([between], owner: FaultSet.Owner(service: "web"), addresses: Self.addresses))
        #expect(web.partitioned == Set(Self.addresses["db"]!))
        let cut = try #require(web.byAddress[SocketAddress("10.0.0.1:1002")!])
        #expect(cut.map(\.direction) == [.upstream, .downstream] && cut.allSatisfy { $0.kind == .blackhole(closeAfter: nil) })
        #expect(web.partitionedCallers == ["db"])
        let db = try #require(try LinkToxics([between], owner: FaultSet.Owner(service: "db"), addresses: Self.addresses))
        #expect(db.partitionedCallers == ["web"])
        #expect(try LinkToxics([between], owner: FaultSet.Owner(service: "api"), addresses: Self.addresses) == nil)
    }

    @Test func aPartitionOneWay() throws {
        let oneWay = Self.fault("f1", "partition", from: "ingress", to: "api")
        let ingress = try #require(try LinkToxics([oneWay], owner: FaultSet.Owner(service: "ingress"), addresses: Self.addresses))
        #expect(ingress.partitioned == [SocketAddress("10.0.0.1:2001")!] && ingress.partitionedCallers.isEmpty)
        let api = try #require(try LinkToxics([oneWay], owner: FaultSet.Owner(service: "api"), addresses: Self.addresses))
        #expect(api.partitioned.isEmpty && api.partitionedCallers == ["ingress"])
    }

    @Test func aPartitionWithoutFromCutsEveryCallerOff() throws {
        let outage = Self.fault("f1", "partition", to: "db")
        for caller in ["web", "api", "ingress"] {
            let links = try #require(try LinkToxics([outage], owner: FaultSet.Owner(service: caller), addresses: Self.addresses))
            #expect(links.partitioned == Set(Self.addresses["db"]!) && !links.partitionsCallers)
        }
        let db = try #require(try LinkToxics([outage], owner: FaultSet.Owner(service: "db"), addresses: Self.addresses))
        #expect(db.partitioned.isEmpty && db.partitionsEveryCaller)
        #expect(db.partitions(caller: "web") && db.partitions(caller: nil))
        // With a timeout, the open connections are closed rather than left hanging.
        var closing = outage
        closing.timeout = "0s"
        let web = try #require(try LinkToxics([closing], owner: FaultSet.Owner(service: "web"), addresses: Self.addresses))
        #expect(web.byAddress[SocketAddress("10.0.0.1:1001")!]?.map(\.kind) == [.blackhole(closeAfter: .zero), .blackhole(closeAfter: .zero)])
    }

    @Test func timedResetsAndBlackholesCarryTheirTimeouts() throws {
        var reset = Self.fault("f1", "reset", to: "db")
        reset.timeout = "250ms"
        var blackhole = Self.fault("f2", "blackhole", to: "db")
        blackhole.timeout = "2s"
        #expect(try LinkToxics.toxics(reset)?.map(\.kind) == [.reset(afterBytes: nil, after: .milliseconds(250))])
        #expect(try LinkToxics.toxics(blackhole)?.map(\.kind) == [.blackhole(closeAfter: .seconds(2))])
        blackhole.timeout = "soon"
        #expect(throws: ConfigError.self) { try LinkToxics.toxics(blackhole) }
    }

    @Test func badSettingsAreConfigErrors() {
        var slicer = Self.fault("f1", "slicer", to: "db")
        slicer.averageSize = 10
        slicer.sizeVariation = 10
        #expect(throws: ConfigError.self) { try LinkToxics([slicer], owner: FaultSet.Owner(), addresses: Self.addresses) }
        var sideways = Self.fault("f2", "latency", to: "db", direction: "sideways")
        sideways.latency = "1ms"
        #expect(throws: ConfigError.self) { try LinkToxics([sideways], owner: FaultSet.Owner(), addresses: Self.addresses) }
    }
}
