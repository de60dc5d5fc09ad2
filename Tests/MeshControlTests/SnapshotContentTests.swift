import MeshConfig
import MeshControl
import MeshTestSupport
import MeshTopology
import MeshYAML
import Testing

/// What each destination carries: routes and allow lists as the topology says.
@Suite struct SnapshotContentTests {
    @Test func routesAndAllowListsAreTheTopologys() throws {
        try withControlPlane { control in
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.services["reviews"]?.routes == [
                RouteConfig(headers: ["end-user": "jason"], pathPrefix: "/", split: ["v2": 100]),
                RouteConfig(split: ["v1": 90, "v2": 10]),
            ])
            #expect(snapshot.services["ratings"]?.allow == [AllowConfig(from: "reviews")])
            #expect(snapshot.services["ratings"]?.routes == [])
            for service in ["productpage", "details", "reviews"] {
                #expect(snapshot.services[service]?.allow == nil, "\(service)")
            }
        }
    }

    @Test func jsonShapeIsTheProtocols() throws {
        try withControlPlane { control in
            let text = try TestHTTPClient.request(control, "GET", "/v1/snapshot/current").text
            #expect(text.hasPrefix(#"{"mtls":{"mode":"strict","trustDomain":"meshbed.local"},"services":{"#))
            #expect(text.hasSuffix("\"topology\":\"bookinfo\",\"version\":1}\n"))
            #expect(text.contains(#""details":{"routes":[],"versions":{"v1":[]}}"#))
            #expect(text.contains(#""ratings":{"allow":[{"from":"reviews"}],"routes":[],"versions":{"v1":[]}}"#))
            #expect(text.contains(#"{"headers":{"end-user":"jason"},"pathPrefix":"/","split":{"v2":100}}"#))
            #expect(text.contains(#"{"headers":{},"split":{"v1":90,"v2":10}}"#))

            try details.heartbeat(control)
            let after = try TestHTTPClient.request(control, "GET", "/v1/snapshot/current").text
            #expect(after.contains(#""versions":{"v1":[{"address":"127.0.0.1:20002","id":"details-v1-0"}]}"#))
        }
    }

    @Test func validatedDocumentBecomesTheSameSnapshot() throws {
        //  kind: Topology / name: shop / services: web → api → db (v1 ×2, v2) / routes / authorization
        let document: YNode = [
            "kind": "Topology",
            "name": "shop",
            "services": [
                "web": ["calls": ["api"]],
                "api": ["calls": ["db"]],
                "db": ["versions": ["v1": ["replicas": 2], "v2": [:]]],
            ],
            "routes": [
                "db": [
                    ["match": ["headers": ["X-Canary": "always"], "pathPrefix": "/beta"], "split": ["v2": 100]],
                    ["match": ["pathPrefix": "/"]],
                ],
            ],
            "authorization": ["db": ["allow": ["api", "ingress"]]],
        ]
        let topology: Topology
        switch Topology.validate(document: document.node, file: "shop.yaml") {
        case .success(let valid): topology = valid
        case .failure(let errors):
            Issue.record("unexpected diagnostics:\n\(errors)\n\(document.text)")
            return
        }
        try withControlPlane(topology) { control in
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.topology == "shop")
            #expect(snapshot.services["db"] == DestinationConfig(
                versions: ["v1": [], "v2": []],
                routes: [
                    RouteConfig(headers: ["x-canary": "always"], pathPrefix: "/beta", split: ["v2": 100]),
                    // No split: every instance, so versions weighted by replicas (2:1).
                    RouteConfig(pathPrefix: "/", split: ["v1": 67, "v2": 33]),
                ],
                allow: [AllowConfig(from: "api"), AllowConfig(from: "ingress")]))
            #expect(snapshot.services["web"] == DestinationConfig(versions: ["v1": []]))
            let ids = try instanceStatuses(control).keys.sorted()
            #expect(ids == ["api-v1-0", "db-v1-0", "db-v1-1", "db-v2-0", "web-v1-0"])
        }
    }

    @Test func routesReplacedLiveAreValidatedAndPublished() throws {
        try withControlPlane { control in
            let version = try control.replaceRoutes(destination: "reviews", routes: [
                Route(match: RouteMatch(headers: ["X-Test": "1"]), split: ["v2": 100]),
                Route(),
            ])
            #expect(version == 2)
            #expect(try currentSnapshot(control).services["reviews"]?.routes == [
                RouteConfig(headers: ["x-test": "1"], split: ["v2": 100]),
                RouteConfig(split: ["v1": 67, "v2": 33]),
            ])
            // Same routes again: still a new version.
            #expect(try control.replaceRoutes(destination: "reviews", routes: [RouteConfig(split: ["v1": 100])]) == 3)
            #expect(try control.replaceRoutes(destination: "reviews", routes: [RouteConfig(split: ["v1": 100])]) == 4)

            #expect(throws: ControlError(status: 404, "unknown service 'nope'; services: productpage, details, reviews, ratings")) {
                try control.replaceRoutes(destination: "nope", routes: [RouteConfig]())
            }
            #expect(throws: ControlError(status: 400, "route 1 for 'reviews': split: unknown version 'v9' of service 'reviews' (versions: v1, v2)")) {
                try control.replaceRoutes(destination: "reviews", routes: [RouteConfig(split: ["v9": 100])])
            }
            #expect(control.version == 4)
        }
    }

    @Test func routesReplacedOverHTTP() throws {
        try withControlPlane { control in
            let body = encodeJSON([RouteConfig(headers: ["End-User": "kim"], split: ["v2": 100]), RouteConfig(split: ["v1": 100])])
            let response = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews", body: body)
            #expect(response.status == 200)
            #expect(response.text == "{\"version\":2}\n")
            #expect(try currentSnapshot(control).services["reviews"]?.routes
                == [RouteConfig(headers: ["end-user": "kim"], split: ["v2": 100]), RouteConfig(split: ["v1": 100])])

            let badSum = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews", body: encodeJSON([RouteConfig(split: ["v1": 90])]))
            #expect(badSum.status == 400)
            #expect(badSum.errorMessage == "route 1 for 'reviews': split: weights sum to 90, expected 100")
            let empty = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews", body: encodeJSON([RouteConfig(split: [:])]))
            #expect(empty.errorMessage == "route 1 for 'reviews': split: weights sum to 0, expected 100")
            let badPrefix = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews",
                                                       body: encodeJSON([RouteConfig(pathPrefix: "api", split: ["v1": 100])]))
            #expect(badPrefix.errorMessage == "route 1 for 'reviews': pathPrefix: expected a path starting with '/', got 'api'")
            let unknown = try TestHTTPClient.request(control, "PUT", "/v1/routes/nope", body: encodeJSON([RouteConfig]()))
            #expect(unknown.status == 404)
            #expect(try currentSnapshot(control).version == 2)
        }
    }
}
