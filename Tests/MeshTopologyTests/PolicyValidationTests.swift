import MeshCore
import MeshTestSupport
import MeshTopology
import Testing

/// `policies:` and `authorization:`, after `shopWithVersions`' 14 lines.
@Suite struct PolicyValidationTests {
    @Test func policyIsRead() throws {
        let doc = shopWithVersions([("policies", ["db": [
            "timeout": "2s",
            "connectTimeout": "250ms",
            "idleTimeout": "90s",
            "retries": [
                "attempts": 3, "perTryTimeout": "500ms",
                "retryOn": ["5xx", "gateway-error", "connect-failure", "reset", "retriable-4xx", "retriable-status-codes"],
                "retriableStatusCodes": [503, 429], "retryNonIdempotent": true,
            ],
            "circuitBreaker": [
                "consecutive5xxErrors": 7, "consecutiveGatewayErrors": 3, "interval": "5s", "baseEjectionTime": "1m",
                "maxEjectionPercent": 50, "minHealthPercent": 0, "maxConnections": 100, "maxPendingRequests": 10, "maxRequests": 20,
            ],
            "loadBalancer": "ewma",
        ]])])
        let policy = try #require(try topology(doc).policies["db"])
        #expect(policy == Policy(
            timeout: .seconds(2), connectTimeout: .milliseconds(250), idleTimeout: .seconds(90),
            retries: RetryPolicy(
                attempts: 3, perTryTimeout: .milliseconds(500),
                retryOn: [.serverError, .gatewayError, .connectFailure, .reset, .retriable4xx, .retriableStatusCodes],
                retriableStatusCodes: [503, 429], retryNonIdempotent: true),
            circuitBreaker: CircuitBreaker(
                consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, interval: .seconds(5), baseEjectionTime: .seconds(60),
                maxEjectionPercent: 50, minHealthPercent: 0, maxConnections: 100, maxPendingRequests: 10, maxRequests: 20),
            loadBalancer: .ewma))
    }

    /// 0 turns an outlier detector off, as in Istio.
    @Test func zeroTurnsADetectorOff() throws {
        let doc = shopWithVersions([("policies", ["db": ["circuitBreaker": ["consecutive5xxErrors": 0, "consecutiveGatewayErrors": 0]]])])
        let breaker = try #require(try topology(doc).policies["db"]?.circuitBreaker)
        #expect(breaker.consecutive5xxErrors == 0 && breaker.consecutiveGatewayErrors == 0)
    }

    @Test func policyMistakes() {
        // 15 policies:
        // 16   db:
        // 17     timeout: 2 s
        // 18     connectTimeout: 0s
        // 19     idleTimeout: forever
        // 20     retries:
        // 21       attempts: -1
        // 22       perTryTimeout: 0s
        // 23       retryOn:
        // 24         - 5XX
        // 25         - reset
        // 26         - reset
        // 27       retryNonIdempotent: yes
        // 28     circuitBreaker:
        // 29       maxEjectionPercent: 150
        // 30       consecutive5xxErrors: -1
        // 31       minHealthPercent: 101
        // 32       interval: 0s
        // 33       maxRequests: 0
        // 34     loadBalancer: leastRequests
        let doc = shopWithVersions([("policies", ["db": [
            "timeout": "2 s",
            "connectTimeout": "0s",
            "idleTimeout": "forever",
            "retries": ["attempts": -1, "perTryTimeout": "0s", "retryOn": ["5XX", "reset", "reset"], "retryNonIdempotent": "yes"],
            "circuitBreaker": ["maxEjectionPercent": 150, "consecutive5xxErrors": -1, "minHealthPercent": 101, "interval": "0s", "maxRequests": 0],
            "loadBalancer": "leastRequests",
        ]])])
        #expect(diagnostics(doc) == [
            "17:14: timeout: expected a duration like 250ms, 2s or 1m, got '2 s'",
            "18:21: connectTimeout: expected a duration greater than 0s, got '0s'",
            "19:18: idleTimeout: expected a duration like 250ms, 2s or 1m, got 'forever'",
            "21:17: attempts: expected an integer ≥ 0, got '-1'",
            "22:22: perTryTimeout: expected a duration greater than 0s, got '0s'",
            "24:11: retryOn: expected one of 5xx, gateway-error, connect-failure, reset, retriable-4xx, retriable-status-codes, got '5XX' (did you mean '5xx'?)",
            "26:11: retryOn: 'reset' is listed twice",
            "27:27: retryNonIdempotent: expected true or false, got 'yes'",
            "29:27: maxEjectionPercent: expected a percentage 0–100, got '150'",
            "30:29: consecutive5xxErrors: expected an integer ≥ 0, got '-1'",
            "31:25: minHealthPercent: expected a percentage 0–100, got '101'",
            "32:17: interval: expected a duration greater than 0s, got '0s'",
            "33:20: maxRequests: expected an integer ≥ 1, got '0'",
            "34:19: loadBalancer: expected one of roundRobin, leastRequest, random, ewma, got 'leastRequests' (did you mean 'leastRequest'?)",
        ])
    }

    /// `retriable-status-codes` and `retriableStatusCodes` come together, or not at all.
    @Test func retriableStatusCodesGoWithTheirCondition() {
        func retries(_ fields: YNode) -> [String] { diagnostics(shopWithVersions([("policies", ["db": ["retries": fields]])])) }
        // 17: retries:, 18: attempts: 2, 19: retryOn:, 20: - retriable-status-codes
        #expect(retries(["attempts": 2, "retryOn": ["retriable-status-codes"]]) == [
            "19:7: retryOn: 'retriable-status-codes' needs a 'retriableStatusCodes' list beside it (e.g. [503])",
        ])
        // 19: retriableStatusCodes: (the default retryOn has no retriable-status-codes)
        #expect(retries(["attempts": 2, "retriableStatusCodes": [503]]) == [
            "19:7: retriableStatusCodes: used only with 'retriable-status-codes' in retryOn; add it there or remove this list",
        ])
        // 19: retryOn:, 20: - 5xx, 21: retriableStatusCodes:
        #expect(retries(["attempts": 2, "retryOn": ["5xx"], "retriableStatusCodes": [503]]) == [
            "21:7: retriableStatusCodes: used only with 'retriable-status-codes' in retryOn; add it there or remove this list",
        ])
        // 19: retryOn:, 20: - retriable-status-codes, 21: retriableStatusCodes: []
        #expect(retries(["attempts": 2, "retryOn": ["retriable-status-codes"], "retriableStatusCodes": []]) == [
            "21:7: retriableStatusCodes: expected at least one status for 'retriable-status-codes' in retryOn",
        ])
        // 21: retriableStatusCodes:, 22: - 200 (items at column 11), 23: - 503, 24: - 503, 25: - x
        #expect(retries(["attempts": 2, "retryOn": ["retriable-status-codes"], "retriableStatusCodes": [200, 503, 503, "x"]]) == [
            "22:11: retriableStatusCodes: expected an HTTP status 400–599, got '200'",
            "24:11: retriableStatusCodes: 503 is listed twice",
            "25:11: retriableStatusCodes: expected an HTTP status 400–599, got 'x'",
        ])
        // A retryOn with a mistake says nothing about the codes beside it.
        #expect(retries(["attempts": 2, "retryOn": ["retriable-status-code"], "retriableStatusCodes": [503]]) == [
            "20:11: retryOn: expected one of 5xx, gateway-error, connect-failure, reset, retriable-4xx, retriable-status-codes, "
                + "got 'retriable-status-code' (did you mean 'retriable-status-codes'?)",
        ])
    }

    /// Istio's older name gets the current one suggested, although it is too far off for
    /// an ordinary "did you mean".
    @Test func consecutiveErrorsSuggestsTheCurrentName() {
        // 17: circuitBreaker:, 18: consecutiveErrors: 5
        let doc = shopWithVersions([("policies", ["db": ["circuitBreaker": ["consecutiveErrors": 5]]])])
        #expect(diagnostic(doc)
            == "18:7: unknown key 'consecutiveErrors' in circuitBreaker of policy for 'db' (did you mean 'consecutive5xxErrors'? Istio renamed it)")
    }

    @Test func policyKeysAndDestinations() {
        // 16: dbx:, 17: retrys: {}, 18: db:, 19: retries:, 20: perTryTimeout: 1s, 21: circuitBreaker:, 22: maxConnection: 5
        let doc = shopWithVersions([("policies", [
            "dbx": ["retrys": [:]],
            "db": ["retries": ["perTryTimeout": "1s"], "circuitBreaker": ["maxConnection": 5]],
        ])])
        #expect(diagnostics(doc) == [
            "16:3: policies: unknown service 'dbx' (did you mean 'db'?)",
            "17:5: unknown key 'retrys' in policy for 'dbx' (did you mean 'retries'?)",
            "20:7: missing key 'attempts' in retries of policy for 'db'",
            "22:7: unknown key 'maxConnection' in circuitBreaker of policy for 'db' (did you mean 'maxConnections'?)",
        ])
    }

    @Test func authorizationIsRead() throws {
        let doc = shopWithVersions([("authorization", ["db": ["allow": ["api"]], "web": ["allow": ["ingress"]], "api": ["allow": []]])])
        let rules = try topology(doc).authorization
        #expect(rules["db"] == AuthorizationRule(allow: ["api"]))
        #expect(rules["db"]?.allows("api") == true && rules["db"]?.allows("web") == false)
        #expect(rules["web"]?.allows(Topology.ingressCaller) == true)
        #expect(rules["api"]?.allow == [])
    }

    @Test func authorizationMistakes() {
        // 15 authorization:
        // 16   db:
        // 17     allow:
        // 18       - ap
        // 19       - web
        // 20       - web
        // 21   dbx:
        // 22     allow:
        // 23       - api
        // 24   api: {}
        // 25   web:
        // 26     allow: api
        let doc = shopWithVersions([("authorization", [
            "db": ["allow": ["ap", "web", "web"]],
            "dbx": ["allow": ["api"]],
            "api": [:],
            "web": ["allow": "api"],
        ])])
        #expect(diagnostics(doc) == [
            "18:9: allow: unknown service 'ap' (did you mean 'api'?)",
            "20:9: allow: 'web' is listed twice",
            "21:3: authorization: unknown service 'dbx' (did you mean 'db'?)",
            "24:8: missing key 'allow' in authorization for 'api'",
            "26:12: allow: expected a list of service names or {from, methods, paths}, got 'api'",
        ])
    }

    @Test func authorizationByMethodAndPath() throws {
        let doc = shopWithVersions([("authorization", [
            "db": ["allow": ["web", ["from": "api", "methods": ["GET", "HEAD"], "paths": ["/rows", "/tables/*"]]]],
        ])])
        let rule = try #require(try topology(doc).authorization["db"])
        #expect(rule.rules == [AuthorizationRule.Allow(from: "web"),
                               AuthorizationRule.Allow(from: "api", methods: ["GET", "HEAD"], paths: ["/rows", "/tables/*"])])
        #expect(rule.allows("api", method: "GET", path: "/tables/7"))
        #expect(rule.allows("api", method: "HEAD", path: "/rows"))
        #expect(!rule.allows("api", method: "GET", path: "/rows/7"))
        #expect(!rule.allows("api", method: "POST", path: "/rows"))
        #expect(rule.allows("web", method: "DELETE", path: "/anything"))
        #expect(!rule.allows("ingress", method: "GET", path: "/rows"))
    }

    @Test func authorizationEntryMistakes() {
        // 15 authorization:, 16 db:, 17 allow:, 18 - from: ap, 19 methods: [get], 20 paths: [rows, /a*b]
        let doc = shopWithVersions([("authorization", [
            "db": ["allow": [["from": "ap", "methods": ["get"], "paths": ["rows", "/a*b"], "ports": [1]]]],
        ])])
        let messages = diagnostics(doc)
        #expect(messages.contains { $0.hasSuffix("from: unknown service 'ap' (did you mean 'api'?)") })
        #expect(messages.contains { $0.hasSuffix("methods: expected an HTTP method in upper case, like GET, got 'get'") })
        #expect(messages.contains { $0.hasSuffix("paths: expected a path starting with '/', exact or ending in '*' for a prefix, got 'rows'") })
        #expect(messages.contains { $0.hasSuffix("paths: expected a path starting with '/', exact or ending in '*' for a prefix, got '/a*b'") })
        #expect(messages.contains { $0.contains("unknown key 'ports' in authorization for 'db'") })
    }

    @Test func authorizationNeedsMTLS() {
        // 15: mesh:, 16: mtls: disabled, 17: authorization:
        let doc = shopWithVersions([("mesh", ["mtls": "disabled"]), ("authorization", ["db": ["allow": ["api"]]])])
        #expect(diagnostic(doc) == "17:1: authorization: needs mTLS to identify callers, but mesh.mtls is 'disabled'")
    }
}
