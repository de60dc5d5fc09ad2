import MeshIO

/// What an echo app is and how it misbehaves on purpose.
public struct EchoConfiguration: Sendable {
    /// Service name, sent as `x-meshbed-service`.
    public var service: String
    /// Version (subset) name, sent as `x-meshbed-version`.
    public var version: String
    /// Instance id, sent as `x-meshbed-instance` (default `SERVICE-VERSION-0`).
    public var instance: String
    /// Percentage (0–100) of requests answered with 500.
    public var errorRate: Double
    /// Added to every response, in nanoseconds (`?delay=` overrides it per request).
    public var latency: UInt64
    /// Seed for the error-rate draws; the same seed gives the same sequence per connection.
    public var seed: UInt64
    /// Services called per request, through `outbound`.
    public var calls: [String] = []
    /// The app's sidecar outbound address, for `calls`.
    public var outbound: SocketAddress?

    public init(service: String = "echo", version: String = "v1", instance: String? = nil,
                errorRate: Double = 0, latency: UInt64 = 0, seed: UInt64 = 1) {
        self.service = service
        self.version = version
        self.instance = instance ?? "\(service)-\(version)-0"
        self.errorRate = errorRate
        self.latency = latency
        self.seed = seed
    }
}
