import MeshCore
import MeshTopology

/// A toxic in Toxiproxy's JSON shape, and its translation to and from meshbed's link faults.
/// A toxic on proxy P is a link fault `to: P` from every caller, in one direction:
///
///     latency     latency, jitter (ms)                    latency, jitter
///     bandwidth   rate (KB/s, 1 KB = 1000 B)              bandwidth, rate
///     slow_close  delay (ms)                              slowClose, delay
///     timeout     timeout (ms; 0: never closes)           blackhole, timeout
///     reset_peer  timeout (ms; 0: at the first byte)      reset, timeout
///     slicer      average_size, size_variation (bytes),   slicer
///                 delay (µs)
///     limit_data  bytes                                   limitData, bytes
///     stream      upstream | downstream                   direction
///     toxicity    0–1, per connection                     toxicity
///
/// Attributes are whole numbers; a missing one is 0, as in Toxiproxy. Settings meshbed's
/// model refuses (a latency, slow_close delay, rate or slice size of 0, a jitter above the
/// latency, a size variation not below the average size) are refused here too.
struct ToxiproxyToxic: Codable, Equatable {
    var name: String
    var type: String
    var stream: String
    var toxicity: Double
    var attributes: [String: Double]

    /// The attributes of each type, in Toxiproxy's names.
    static let attributeNames: [String: [String]] = [
        "latency": ["latency", "jitter"],
        "bandwidth": ["rate"],
        "slow_close": ["delay"],
        "timeout": ["timeout"],
        "reset_peer": ["timeout"],
        "slicer": ["average_size", "size_variation", "delay"],
        "limit_data": ["bytes"],
    ]

    static let typeNames = ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data"]

    /// The toxic a fault is, named `name`; nil when the fault is not one a Toxiproxy proxy
    /// can show (not a link fault, from one caller only, or in both directions).
    init?(_ spec: FaultSpec, name: String) {
        guard case .link(nil, _) = spec.target, spec.direction != .both else { return nil }
        let attributes: [String: Double]
        switch spec.action {
        case .latency(let latency, let jitter):
            (type, attributes) = ("latency", ["latency": Self.milliseconds(latency), "jitter": Self.milliseconds(jitter)])
        case .bandwidth(let rate):
            (type, attributes) = ("bandwidth", ["rate": Double(rate.bytesPerSecond) / 1000])
        case .slowClose(let delay):
            (type, attributes) = ("slow_close", ["delay": Self.milliseconds(delay)])
        case .blackhole(let timeout):
            (type, attributes) = ("timeout", ["timeout": timeout.map(Self.milliseconds) ?? 0])
        case .reset(nil, let timeout):
            (type, attributes) = ("reset_peer", ["timeout": timeout.map(Self.milliseconds) ?? 0])
        case .slicer(let average, let variation, let delay):
            (type, attributes) = ("slicer", ["average_size": Double(average), "size_variation": Double(variation),
                                             "delay": Double(delay.meshbedNanoseconds) / 1000])
        case .limitData(let bytes):
            (type, attributes) = ("limit_data", ["bytes": Double(bytes)])
        default:
            return nil  // a reset after a byte count has no Toxiproxy form
        }
        self.name = name
        self.stream = spec.direction.rawValue
        self.toxicity = spec.toxicity
        self.attributes = attributes
    }

    init(name: String, type: String, stream: String, toxicity: Double, attributes: [String: Double]) {
        self.name = name
        self.type = type
        self.stream = stream
        self.toxicity = toxicity
        self.attributes = attributes
    }

    /// The link fault this toxic on `proxy` is; a one-line reason (Toxiproxy's 400) when a
    /// setting is not valid.
    func spec(proxy: String) throws(ToxiproxyError) -> FaultSpec {
        guard let known = Self.attributeNames[type] else {
            throw .badRequest("invalid toxic type '\(type)': expected one of \(Self.typeNames.joined(separator: ", "))")
        }
        guard let direction = FaultSpec.Direction(rawValue: stream), direction != .both else {
            throw .badRequest("stream was invalid, can be either upstream or downstream (got '\(stream)')")
        }
        guard toxicity.isFinite, (0...1).contains(toxicity) else {
            throw .badRequest("toxicity: expected a probability from 0 to 1 (per connection), got \(toxicity)")
        }
        if let unknown = attributes.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badRequest("attribute '\(unknown)' does not apply to a \(type) toxic (its attributes: \(known.joined(separator: ", ")))")
        }
        func value(_ key: String, minimum: Int = 0) throws(ToxiproxyError) -> Int {
            let number = attributes[key] ?? 0
            guard number.isFinite, number == number.rounded(), number >= Double(minimum), number <= 1e15 else {
                throw .badRequest("attribute '\(key)' of a \(type) toxic: expected a whole number ≥ \(minimum), got \(number)")
            }
            return Int(number)
        }
        func milliseconds(_ key: String, minimum: Int = 0) throws(ToxiproxyError) -> Duration {
            .milliseconds(try value(key, minimum: minimum))
        }
        let action: FaultSpec.Action
        switch type {
        case "latency":
            let latency = try milliseconds("latency", minimum: 1), jitter = try milliseconds("jitter")
            guard jitter <= latency else {
                throw .badRequest("attribute 'jitter' of a latency toxic: expected at most the latency (\(try value("latency")) ms), got \(try value("jitter"))")
            }
            action = .latency(latency, jitter: jitter)
        case "bandwidth":
            action = .bandwidth(BandwidthRate(bytesPerSecond: try value("rate", minimum: 1) * 1000))
        case "slow_close":
            action = .slowClose(try milliseconds("delay", minimum: 1))
        case "timeout":
            let timeout = try value("timeout")
            action = .blackhole(timeout: timeout == 0 ? nil : .milliseconds(timeout))
        case "reset_peer":
            let timeout = try value("timeout")
            action = .reset(afterBytes: nil, timeout: timeout == 0 ? nil : .milliseconds(timeout))
        case "slicer":
            let average = try value("average_size", minimum: 1), variation = try value("size_variation")
            guard variation < average else {
                throw .badRequest("attribute 'size_variation' of a slicer toxic: expected below average_size (\(average)), got \(variation)")
            }
            action = .slicer(averageSize: average, sizeVariation: variation, delay: .microseconds(try value("delay")))
        default:  // limit_data
            action = .limitData(bytes: try value("bytes"))
        }
        return FaultSpec(action: action, target: .link(from: nil, to: proxy), direction: direction, toxicity: toxicity)
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.meshbedNanoseconds) / 1_000_000
    }
}

/// An error of the Toxiproxy API, in its JSON shape: `{"error": "...", "status": 404}`.
struct ToxiproxyError: Error, Encodable {
    let error: String
    let status: Int

    static func badRequest(_ message: String) -> ToxiproxyError { ToxiproxyError(error: message, status: 400) }
    static func notFound(_ message: String) -> ToxiproxyError { ToxiproxyError(error: message, status: 404) }
    static func conflict(_ message: String) -> ToxiproxyError { ToxiproxyError(error: message, status: 409) }

    /// The error as an answer.
    var response: ControlResponse { ControlResponse(status: status, body: ControlJSON.encode(self) + [10]) }
}
