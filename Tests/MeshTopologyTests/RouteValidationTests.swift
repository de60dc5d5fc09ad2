import MeshTopology
import MeshTestSupport
import Testing

/// `routes:`. Documents are `shopWithVersions` (lines 1–14: `web` calls `api` calls `db`,
/// `db` has versions v1 and v2) with `routes:` on line 15.
@Suite struct RouteValidationTests {
    func routes(_ routes: YNode) -> YNode { shopWithVersions([("routes", routes)]) }

    @Test func routesAreRead() throws {
        let doc = routes([
            "db": [
                ["match": ["headers": ["End-User": "jason"], "pathPrefix": "/api"], "split": ["v2": 100]],
                ["split": [["version": "v1", "weight": 90], ["version": "v2", "weight": 10]]],
                ["match": ["pathPrefix": "/"]],
            ],
            "web": [["split": ["v1": 100]]],
        ])
        let topology = try topology(doc)
        let db = try #require(topology.routes["db"])
        #expect(db.count == 3)
        #expect(db[0] == Route(match: RouteMatch(headers: ["end-user": "jason"], pathPrefix: "/api"), split: ["v2": 100]))
        #expect(db[1] == Route(match: .all, split: ["v1": 90, "v2": 10]))
        #expect(db[1].split?.keys == ["v1", "v2"])
        #expect(db[2].split == nil && db[2].match.pathPrefix == "/")
        #expect(topology.routes["web"] == [Route(split: ["v1": 100])])
        #expect(topology.routes.keys == ["db", "web"])
    }

    @Test func mirrorIsRead() throws {
        let doc = routes([
            "db": [
                ["split": ["v1": 90, "v2": 10], "mirror": ["version": "v2", "percent": 12.5]],
                // The default percent is 100; the mirror may be a version the split also sends to.
                ["match": ["pathPrefix": "/"], "split": ["v1": 100], "mirror": ["version": "v1"]],
            ],
        ])
        let db = try #require(try topology(doc).routes["db"])
        #expect(db[0] == Route(split: ["v1": 90, "v2": 10], mirror: Mirror(version: "v2", percent: 12.5)))
        #expect(db[1].mirror == Mirror(version: "v1", percent: 100))
        #expect(Route().mirror == nil)
    }

    @Test func mirrorMistakes() {
        // 17: - split:, 18: v1: 100, 19: mirror:, 20: version: v3, 21: percent: 150
        #expect(diagnostics(routes(["db": [["split": ["v1": 100], "mirror": ["version": "v3", "percent": 150]]]])) == [
            "20:18: mirror: unknown version 'v3' of service 'db' (versions: v1, v2)",
            "21:18: percent: expected a percentage 0–100, got '150'",
        ])
        // 17: - mirror:, 18: percentage: 10
        #expect(Set(diagnostics(routes(["db": [["mirror": ["percentage": 10]]]]))) == [
            "18:9: missing key 'version' in mirror of route 1 for 'db'",
            "18:9: unknown key 'percentage' in mirror of route 1 for 'db'",
        ])
        // 17: - mirror: v2
        #expect(diagnostic(routes(["db": [["mirror": "v2"]]])) == "17:15: mirror: expected a mapping, got 'v2'")
        // 17: - mirror:, 18: version: "", 19: percent: -1
        #expect(diagnostics(routes(["db": [["mirror": ["version": ["v1"], "percent": -1]]]])) == [
            "19:11: version: expected a version name, got a list",
            "20:18: percent: expected a percentage 0–100, got '-1'",
        ])
    }

    @Test func routeMatchMatches() {
        let match = RouteMatch(headers: ["End-User": "jason"], pathPrefix: "/api")
        let headers = ["end-user": "jason"]
        #expect(match.matches(path: "/api/x") { headers[$0] })
        #expect(!match.matches(path: "/x") { headers[$0] })
        #expect(!match.matches(path: "/api") { _ in "bob" })
        #expect(RouteMatch.all.matches(path: "/") { _ in nil })
        #expect(RouteMatch.all.matchesEverything)
    }

    @Test func splitMustSumTo100() {
        // 16: db:, 17: - split:, 18: v1: 90, 19: v2: 20
        #expect(diagnostic(routes(["db": [["split": ["v1": 90, "v2": 20]]]])) == "17:7: split: weights sum to 110, expected 100")
        #expect(diagnostic(routes(["db": [["split": [:]]]])) == "17:7: split: weights sum to 0, expected 100")
    }

    @Test func splitNamingAnUnknownVersion() {
        #expect(diagnostic(routes(["db": [["split": ["v1": 50, "v3": 50]]]])) == "19:9: split: unknown version 'v3' of service 'db' (versions: v1, v2)")
    }

    @Test func splitOfAServiceWithoutVersionsIsV1() {
        #expect(diagnostic(routes(["api": [["split": ["v2": 100]]]])) == "18:9: split: unknown version 'v2' of service 'api' (versions: v1)")
    }

    @Test func badWeightsSkipTheSum() {
        // 18: v1: 150, 19: v2: ten
        #expect(diagnostics(routes(["db": [["split": ["v1": 150, "v2": "ten"]]]])) == [
            "18:13: v1: expected a weight 0–100, got '150'",
            "19:13: v2: expected a weight 0–100, got 'ten'",
        ])
    }

    @Test func listFormSplitMistakes() {
        // 17: - split:, 18: - version: v1, 19: weight: 50, 20: - version: v1, 21: weight: 50
        let duplicate = routes(["db": [["split": [["version": "v1", "weight": 50], ["version": "v1", "weight": 50]]]]])
        #expect(diagnostic(duplicate) == "20:20: split: version 'v1' is listed twice")
        // 18: - version: v1, 19: - version: v2, 20: weight: 100, 21: share: 0
        let missing = routes(["db": [["split": [["version": "v1"], ["version": "v2", "weight": 100, "share": 0]]]]])
        #expect(diagnostics(missing) == [
            "18:11: missing key 'weight' in split entry 1 for 'db'",
            "21:11: unknown key 'share' in split entry 2 for 'db'",
        ])
    }

    @Test func unknownDestination() {
        #expect(diagnostic(routes(["dbs": [["split": ["v1": 100]]]])) == "16:3: routes: unknown service 'dbs' (did you mean 'db'?)")
    }

    @Test func mappingWhereAListIsExpected() {
        // 16: db:, 17: split:, 18: v1: 100
        #expect(diagnostic(routes(["db": ["split": ["v1": 100]]])) == "17:5: db: expected a list of routes, got a mapping")
        #expect(diagnostic(shopWithVersions([("routes", [["db": []]])])) == "16:3: routes: expected a mapping of services to lists of routes, got a list")
    }

    @Test func matchMistakes() {
        // 17: - match:, 18: headers:, 19: bad name: x, 20: x-user:, 21: a: 1, 22: pathPrefix: api, 23: method: GET, 24: splits:
        let doc = routes(["db": [[
            "match": ["headers": ["bad name": "x", "x-user": ["a": 1]], "pathPrefix": "api", "method": "GET"],
            "splits": ["v1": 100],
        ]]])
        #expect(diagnostics(doc) == [
            "19:11: headers: 'bad name' is not a valid header name",
            "21:13: x-user: expected a string value, got a mapping",
            "22:21: pathPrefix: expected a path starting with '/', got 'api'",
            "23:9: unknown key 'method' in match of route 1 for 'db'",
            "24:7: unknown key 'splits' in route 1 for 'db' (did you mean 'split'?)",
        ])
    }

    @Test func headerNamesDifferingInCaseAreDuplicates() {
        // 17: - match:, 18: headers:, 19: x-user: a, 20: X-User: b
        let doc = routes(["db": [["match": ["headers": ["x-user": "a", "X-User": "b"]]]]])
        #expect(diagnostic(doc) == "20:11: headers: 'X-User' is listed twice")
    }

    @Test func routeMustBeAMapping() {
        // 16: db:, 17: - v1
        #expect(diagnostic(routes(["db": ["v1"]])) == "17:7: db: expected a mapping, got 'v1'")
    }

    @Test func headerNamesAreCaseInsensitiveInTheModel() {
        let match = RouteMatch(headers: ["X-User": "a", "x-user": "b", "Y": "c"])
        #expect(match.headers == ["x-user": "a", "y": "c"])
    }
}
