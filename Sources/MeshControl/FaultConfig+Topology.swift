import MeshConfig
import MeshCore
import MeshTopology

extension FaultConfig {
    /// A request- or link-level fault of the topology model as the protocol carries it,
    /// under `id`. Process faults (`kill`, `pause`, …) never reach the control plane.
    init(id: String, spec: FaultSpec) {
        self.init(id: id, kind: spec.kind.rawValue)
        switch spec.target {
        case .link(let from, let to):
            self.to = to
            self.from = from
        case .between(let a, let b):
            self.from = a
            self.to = b
            self.direction = "both"
        case .instances(let service, _, _):
            self.to = service
        }
        version = spec.version
        if spec.kind.isRequestLevel {
            side = spec.side.rawValue
            switch spec.trigger {
            case .percent(let percent): self.percent = percent
            case .requests(let range): requests = [range.lowerBound, range.upperBound]
            case .first(let count): first = count
            }
        }
        if !spec.headers.isEmpty { headers = Dictionary(uniqueKeysWithValues: spec.headers.map { ($0.key, $0.value) }) }
        switch spec.action {
        case .delay(let distribution): delay = Self.delay(distribution)
        case .abort(let status, let body, let responseHeaders):
            self.status = status
            self.body = body
            if !responseHeaders.isEmpty { self.responseHeaders = Dictionary(uniqueKeysWithValues: responseHeaders.map { ($0.key, $0.value) }) }
        case .latency(let latency, let jitter):
            self.latency = latency.meshbedDescription
            self.jitter = jitter.meshbedDescription
        case .bandwidth(let rate): self.rate = rate.bytesPerSecond
        case .reset(let after, let timeout):
            self.after = after
            self.timeout = timeout?.meshbedDescription
        case .blackhole(let timeout), .partition(let timeout): self.timeout = timeout?.meshbedDescription
        case .slowClose(let delay): self.delay = Self.delay(.fixed(delay))
        case .slicer(let average, let variation, let delay):
            averageSize = average
            sizeVariation = variation
            self.delay = Self.delay(.fixed(delay))
        case .limitData(let bytes): self.bytes = bytes
        case .loss(let percent): self.percent = percent
        default: break
        }
        if spec.kind.isLinkLevel {
            direction = spec.direction.rawValue
            toxicity = spec.toxicity
        }
        duration = spec.duration?.meshbedDescription
        self.spec = spec.description
    }

    static func delay(_ distribution: DelayDistribution) -> Delay {
        switch distribution {
        case .fixed(let value): Delay(distribution: "fixed", value: value.meshbedDescription)
        case .uniform(let min, let max): Delay(distribution: "uniform", min: min.meshbedDescription, max: max.meshbedDescription)
        case .normal(let mean, let stddev): Delay(distribution: "normal", mean: mean.meshbedDescription, stddev: stddev.meshbedDescription)
        case .pareto(let scale, let shape): Delay(distribution: "pareto", scale: scale.meshbedDescription, shape: shape)
        }
    }
}
