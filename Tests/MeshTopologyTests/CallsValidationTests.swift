import MeshTopology
import Testing

/// `calls`: references, duplicates, per-version overrides and call cycles. Documents start
/// with `kind`, `name`, `services:` on lines 1–3; the first service is on line 4.
@Suite struct CallsValidationTests {
    @Test func unknownCalleeSuggestsTheClosestService() {
        //  4: web:, 5: calls:, 6: - ratngs, 7: - cart, 8: ratings: {}
        let doc = shop(services: ["web": ["calls": ["ratngs", "cart"]], "ratings": [:]])
        #expect(diagnostics(doc) == [
            "6:9: calls: unknown service 'ratngs' (did you mean 'ratings'?)",
            "7:9: calls: unknown service 'cart'",
        ])
    }

    @Test func sameServiceTwice() {
        let doc = shop(services: ["web": ["calls": ["api", "api"]], "api": [:]])
        #expect(diagnostic(doc) == "7:9: calls: 'api' is listed twice")
    }

    @Test func callsMustBeAListOfNames() {
        #expect(diagnostic(shop(services: ["web": ["calls": ["api": 1]], "api": [:]])) == "6:7: calls: expected a list of service names, got a mapping")
        #expect(diagnostic(shop(services: ["web": ["calls": "api"], "api": [:]])) == "5:12: calls: expected a list of service names, got 'api'")
        #expect(diagnostic(shop(services: ["web": ["calls": [["a": 1]]]])) == "6:9: calls: expected a service name, got a mapping")
    }

    @Test func selfCallIsACycle() {
        let doc = shop(services: ["web": ["calls": ["api", "web"]], "api": [:]])
        #expect(diagnostic(doc) == "7:9: call cycle: web -> web")
    }

    @Test func twoServiceCycleReportedOnceAtTheClosingEntry() {
        //  4: productpage:, 5: calls:, 6: - details, 7: - reviews, 8: details: {}, 9: reviews:, 10: calls:, 11: - productpage
        let doc = shop(services: [
            "productpage": ["calls": ["details", "reviews"]],
            "details": [:],
            "reviews": ["calls": ["productpage"]],
        ])
        #expect(diagnostics(doc) == ["11:9: call cycle: productpage -> reviews -> productpage"])
    }

    @Test func longerCycleEnteredFromOutside() {
        //  4: web:, 5: calls:, 6: - a, 7: a:, 8: calls:, 9: - b, 10: b:, 11: calls:, 12: - c, 13: c:, 14: calls:, 15: - a
        let doc = shop(services: [
            "web": ["calls": ["a"]], "a": ["calls": ["b"]], "b": ["calls": ["c"]], "c": ["calls": ["a"]],
        ])
        #expect(diagnostics(doc) == ["15:9: call cycle: a -> b -> c -> a"])
    }

    @Test func separateCyclesEachReported() {
        //  4: a:, 5: calls:, 6: - b, 7: b:, 8: calls:, 9: - a, 10: c:, 11: calls:, 12: - c
        let doc = shop(services: ["a": ["calls": ["b"]], "b": ["calls": ["a"]], "c": ["calls": ["c"]]])
        #expect(diagnostics(doc) == ["9:9: call cycle: a -> b -> a", "12:9: call cycle: c -> c"])
    }

    @Test func diamondIsNotACycle() throws {
        let doc = shop(services: [
            "a": ["calls": ["b", "c"]], "b": ["calls": ["d"]], "c": ["calls": ["d"]], "d": [:],
        ])
        #expect(try topology(doc).services["a"]?.callees == ["b", "c"])
    }

    @Test func perVersionCallsOverrideTheService() throws {
        // bookinfo's reviews: v1 calls nobody, v2 and v3 call ratings.
        let doc = shop(services: [
            "reviews": ["calls": ["ratings"], "versions": ["v1": ["calls": []], "v2": [:], "v3": ["replicas": 2]]],
            "ratings": [:],
        ])
        let reviews = try #require(try topology(doc).services["reviews"])
        #expect(reviews.calls == ["ratings"])
        #expect(reviews.versions["v1"]?.calls == [])
        #expect(reviews.versions["v2"]?.calls == ["ratings"])
        #expect(reviews.versions["v3"]?.calls == ["ratings"])
        #expect(reviews.callees == ["ratings"])
    }

    @Test func cycleThroughAVersionsCalls() {
        //  4: reviews:, 5: versions:, 6: v1: {}, 7: v2:, 8: calls:, 9: - ratings, 10: ratings:, 11: calls:, 12: - reviews
        let doc = shop(services: [
            "reviews": ["versions": ["v1": [:], "v2": ["calls": ["ratings"]]]],
            "ratings": ["calls": ["reviews"]],
        ])
        #expect(diagnostic(doc) == "12:9: call cycle: reviews -> ratings -> reviews")
    }

    @Test func serviceCallsOverriddenByEveryVersionAreNotCalls() throws {
        // reviews' own `calls` would close a cycle, but every version overrides it.
        let doc = shop(services: [
            "reviews": ["calls": ["ratings"], "versions": ["v1": ["calls": []]]],
            "ratings": ["calls": ["reviews"]],
        ])
        #expect(try topology(doc).services["reviews"]?.callees == [])
    }

    @Test func unknownCalleeInAVersion() {
        //  4: web:, 5: versions:, 6: v1:, 7: calls:, 8: - nobody
        let doc = shop(services: ["web": ["versions": ["v1": ["calls": ["nobody"]]]]])
        #expect(diagnostic(doc) == "8:13: calls: unknown service 'nobody'")
    }
}
