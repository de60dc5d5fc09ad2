@testable import MeshCLI
import MeshConfig
import Testing

/// `meshbed route set`: how its arguments become routes, and every mistake as one line
/// naming the flag, before any topology is looked at.
@Suite struct RouteCommandTests {
    static func error(_ arguments: [String]) -> String? {
        do {
            _ = try RouteCommand.parse(arguments)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func splitBecomesOneRouteForEveryRequest() throws {
        let request = try RouteCommand.parse(["set", "reviews", "--split", "v1=50,v2=50"])
        #expect(request.service == "reviews")
        #expect(request.routes == [RouteConfig(split: ["v1": 50, "v2": 50])])
        #expect(request.timeout == .seconds(5) && request.topology == nil && request.stateDirectory == nil)
    }

    @Test func headersAndPathPrefixNarrowTheRoute() throws {
        let request = try RouteCommand.parse([
            "set", "reviews", "--split=v2=100", "--header", "End-User:jason", "--header", "x-canary=1", "--path-prefix", "/api",
            "--topology", "bookinfo", "--state-dir", "/tmp/s", "--timeout", "2s",
        ])
        #expect(request.routes == [RouteConfig(headers: ["end-user": "jason", "x-canary": "1"], pathPrefix: "/api", split: ["v2": 100])])
        #expect(request.topology == "bookinfo" && request.stateDirectory == "/tmp/s" && request.timeout == .seconds(2))
    }

    @Test func clearRemovesEveryRoute() throws {
        #expect(try RouteCommand.parse(["set", "reviews", "--clear"]).routes == [])
    }

    @Test func badInputIsOneLineNamingTheFlag() {
        #expect(Self.error([]) == "route: expected 'set SERVICE'; try 'meshbed route --help'")
        #expect(Self.error(["get", "reviews"]) == "route: unknown subcommand 'get' (expected 'set SERVICE')")
        #expect(Self.error(["set", "--split", "v1=100"]) == "route set: missing SERVICE")
        #expect(Self.error(["set", "a", "b", "--split", "v1=100"]) == "route set: expected one SERVICE, got 2")
        #expect(Self.error(["set", "reviews"]) == "route set: give --split V=WEIGHT,... (or --clear)")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--clear"]) == "--split and --clear exclude each other")
        #expect(Self.error(["set", "reviews", "--clear", "--path-prefix", "/"]) == "--clear takes no --header or --path-prefix")
        #expect(Self.error(["set", "reviews", "--split", "v1=50,v2=40"]) == "--split: weights sum to 90, expected 100")
        #expect(Self.error(["set", "reviews", "--split", "v1=150,v2=-50"]) == "--split: the weight of 'v1' must be an integer 0–100, got '150'")
        #expect(Self.error(["set", "reviews", "--split", "v1=50.5,v2=49.5"]) == "--split: the weight of 'v1' must be an integer 0–100, got '50.5'")
        #expect(Self.error(["set", "reviews", "--split", "v1=50,v1=50"]) == "--split: version 'v1' is given twice")
        #expect(Self.error(["set", "reviews", "--split", "v1:100"]) == "--split: expected VERSION=WEIGHT,... such as v1=90,v2=10, got 'v1:100'")
        #expect(Self.error(["set", "reviews", "--split", "v1=100,"]) == "--split: expected VERSION=WEIGHT,... such as v1=90,v2=10, got 'v1=100,'")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--header", "nocolon"]) == "--header: expected NAME:VALUE, got 'nocolon'")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--header", "a b:c"]) == "--header: invalid header name or value in 'a b:c'")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--header", "A:1", "--header", "a:2"]) == "--header: 'a' is given twice")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--path-prefix", "api"])
            == "--path-prefix: expected a path starting with '/' without spaces, got 'api'")
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--timeout", "0s"]) == "--timeout: must be above 0")
        #expect(Self.error(["set", "Reviews!", "--split", "v1=100"])?.hasPrefix("SERVICE: expected a name of lower-case letters") == true)
        #expect(Self.error(["set", "reviews", "--split", "v1=100", "--splt", "x"]) == "unknown flag '--splt' for 'meshbed route' (did you mean '--split'?)")
    }
}
