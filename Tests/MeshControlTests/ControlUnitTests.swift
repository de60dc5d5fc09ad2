import MeshConfig
@testable import MeshControl
import MeshHTTP
import MeshTopology
import Testing

/// The pieces without I/O: query parsing, endpoint resolution, replica-weighted splits.
@Suite struct ControlUnitTests {
    @Test func queryParameters() {
        let query = QueryParameters("instance=reviews%2Dv1-0&after=3&after=9&flag&empty=")
        #expect(query["instance"] == "reviews-v1-0")
        #expect(query["after"] == "3")
        #expect(query["flag"] == "")
        #expect(query["empty"] == "")
        #expect(query["missing"] == nil)
        #expect(QueryParameters(nil)["instance"] == nil)
        #expect(QueryParameters.decode("100%") == "100%")
        #expect(QueryParameters.decode("%zz%41") == "%zzA")
    }

    @Test func routeResolution() {
        #expect(ControlRoute.resolve(method: .post, path: "/v1/heartbeat") == .route(.heartbeat))
        #expect(ControlRoute.resolve(method: .get, path: "/v1/snapshot") == .route(.snapshot))
        #expect(ControlRoute.resolve(method: .head, path: "/v1/snapshot/current") == .route(.currentSnapshot))
        #expect(ControlRoute.resolve(method: .post, path: "/v1/ack") == .route(.ack))
        #expect(ControlRoute.resolve(method: .get, path: "/v1/instances") == .route(.instances))
        #expect(ControlRoute.resolve(method: .put, path: "/v1/routes/reviews") == .route(.routes(destination: "reviews")))
        #expect(ControlRoute.resolve(method: .get, path: "/v1/health") == .route(.health))
        #expect(ControlRoute.resolve(method: .head, path: "/v1/telemetry") == .route(.telemetry))
        #expect(ControlRoute.resolve(method: .put, path: "/v1/telemetry") == .route(.setTelemetry))
        #expect(ControlRoute.resolve(method: .post, path: "/v1/telemetry") == .methodNotAllowed(allow: "GET, HEAD, PUT"))
        #expect(ControlRoute.resolve(method: .get, path: "/v1/heartbeat") == .methodNotAllowed(allow: "POST"))
        #expect(ControlRoute.resolve(method: .delete, path: "/v1/instances") == .methodNotAllowed(allow: "GET, HEAD"))
        #expect(ControlRoute.resolve(method: .get, path: "/v1/snapshot/") == .notFound)
        #expect(ControlRoute.resolve(method: .put, path: "/v1/routes/a/b") == .notFound)
        #expect(ControlRoute.resolve(method: .get, path: "/V1/instances") == .notFound)
    }

    @Test func replicaWeightedSplits() {
        let twoToOne = Service(name: "db", versions: ["v1": ServiceVersion(name: "v1", replicas: 2), "v2": ServiceVersion(name: "v2")])
        #expect(SnapshotStore.replicaSplit(twoToOne) == ["v1": 67, "v2": 33])
        let thirds = Service(name: "db", versions: [
            "a": ServiceVersion(name: "a"), "b": ServiceVersion(name: "b"), "c": ServiceVersion(name: "c"),
        ])
        #expect(SnapshotStore.replicaSplit(thirds) == ["a": 34, "b": 33, "c": 33])
        #expect(SnapshotStore.replicaSplit(Service(name: "one", replicas: 3)) == ["v1": 100])
        let many = Service(name: "m", versions: OrderedMap((0..<7).map { ("v\($0)", ServiceVersion(name: "v\($0)")) }))
        #expect(SnapshotStore.replicaSplit(many).values.reduce(0, +) == 100)
    }

    @Test func accessLogSettingTravelsInEverySnapshot() {
        #expect(SnapshotStore(topology: bookinfo()).current.telemetry == nil)
        let quiet = bookinfo()
        var store = SnapshotStore(topology: Topology(name: quiet.name, mesh: MeshSettings(accessLog: false), services: quiet.services))
        #expect(store.current.telemetry == TelemetryConfig(accessLog: false))
        store.setFaults([])
        #expect(store.version == 2 && store.current.telemetry == TelemetryConfig(accessLog: false))
    }

    @Test func versionsMoveOnlyOnChange() throws {
        var store = SnapshotStore(topology: bookinfo())
        #expect(store.version == 1)
        let unchanged = store.update(endpoints: [:])
        #expect(!unchanged)
        let one: [String: [String: [Endpoint]]] = ["details": ["v1": [Endpoint(id: "details-v1-0", address: "127.0.0.1:1")]]]
        let changed = store.update(endpoints: one)
        #expect(changed)
        #expect(store.version == 2)
        let again = store.update(endpoints: one)
        #expect(!again)
        #expect(store.current.services["details"]?.versions["v1"]?.count == 1)
        try store.replaceRoutes(destination: "details", routes: [RouteConfig(headers: ["X-A": "b"], split: ["v1": 100])])
        #expect(store.version == 3)
        #expect(store.current.services["details"]?.routes == [RouteConfig(headers: ["x-a": "b"], split: ["v1": 100])])
        #expect(throws: ControlError.self) {
            try store.replaceRoutes(destination: "details", routes: [RouteConfig(headers: ["bad name": "b"], split: ["v1": 100])])
        }
        #expect(store.version == 3)
    }
}
