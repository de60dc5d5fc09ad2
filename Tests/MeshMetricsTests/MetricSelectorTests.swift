import MeshMetrics
import Testing

/// Selectors as scenario expectations write them, and scrapes read back as samples: what is
/// picked, what is summed, and one-line reasons for what is not understood.
@Suite struct MetricSelectorTests {
    static let scrape = """
        # HELP meshbed_requests_total Requests.
        # TYPE meshbed_requests_total counter
        meshbed_requests_total{reporter="source",destination="reviews",response_code="200"} 90
        meshbed_requests_total{reporter="source",destination="reviews",response_code="503"} 7
        meshbed_requests_total{reporter="destination",destination="reviews",response_code="503"} 7
        meshbed_requests_total{reporter="source",destination="ratings",response_code="200",note="a \\"quoted\\" \\\\ value"} 3 1700000000000
        meshbed_config_version 4
        d_seconds_bucket{le="+Inf"} 5

        """

    @Test func selectsAndSums() throws {
        let samples = try PrometheusSample.parse(Self.scrape)
        #expect(samples.count == 6)
        #expect(samples[3].labels["note"] == #"a "quoted" \ value"# && samples[3].value == 3)
        func sum(_ text: String) throws -> Double { try MetricSelector(parsing: text).sum(samples) }
        #expect(try sum(#"meshbed_requests_total{destination="reviews",response_code="503"}"#) == 14)
        #expect(try sum(#"meshbed_requests_total{reporter="source", response_code!="200"}"#) == 7)
        #expect(try sum("meshbed_requests_total") == 107)
        #expect(try sum(#"{destination="ratings"}"#) == 3)
        #expect(try sum("meshbed_config_version") == 4)
        #expect(try sum(#"meshbed_requests_total{absent=""}"#) == 107)  // a missing label is ""
        #expect(try sum("nothing_total") == 0)
        #expect(try MetricSelector(parsing: #"a_total{x="1",y!="2"}"#).description == #"a_total{x="1",y!="2"}"#)
    }

    @Test func mistakes() {
        let cases: [(String, String)] = [
            (#"meshbed_requests_total{destination=~"rev.*"}"#, "label destination: '=~' matchers are not supported yet (use = or !=)"),
            ("rate(meshbed_requests_total[1m])", "unexpected '(meshbed_requests_total[1m])' after the selector (functions and operators are not supported)"),
            (#"meshbed_requests_total{destination="reviews""#, "expected , or } after label destination"),
            (#"meshbed_requests_total{destination=reviews}"#, "expected a quoted value for label destination"),
            ("", #"expected a metric name or {label="value"}"#),
        ]
        for (text, message) in cases {
            #expect(throws: MetricSelector.ParseError(message), "\(text)") { try MetricSelector(parsing: text) }
        }
        #expect(throws: MetricSelector.ParseError("line 2: expected a value after x_total")) { try PrometheusSample.parse("# c\nx_total{}\n") }
    }
}
