import MeshCore

/// When a sidecar renews its certificate (as Istio's agent does): at half the remaining
/// lifetime of a fresh certificate, less a random part of up to a tenth of it, so sidecars
/// started together do not all ask the CA at once; after a failure, again with exponential
/// backoff (0.5 s doubling up to 30 s, jittered), and never later than an eighth of what
/// remains of the current certificate, so a short-lived one gets many tries before it expires.
enum RenewalSchedule {
    /// The delay before renewing a certificate that expires in `remaining` seconds.
    static func renewal(remaining: Int64, using random: inout SeededRandom) -> Duration {
        guard remaining > 0 else { return .zero }
        let total = Double(remaining) * 1e9
        let jitter = Double.random(in: 0..<0.1, using: &random)
        return .nanoseconds(Int64(total * (0.5 - jitter)))
    }

    /// The delay before the next try after `failures` failures in a row; `remaining` is what
    /// is left of the current certificate in seconds (nil: none yet).
    static func retry(failures: Int, remaining: Int64?, using random: inout SeededRandom) -> Duration {
        let exponent = min(max(failures, 1) - 1, 10)
        var seconds = min(0.5 * Double(1 << exponent), 30)
        if let remaining, remaining > 0 { seconds = min(seconds, max(0.25, Double(remaining) / 8)) }
        seconds *= Double.random(in: 0.8..<1.2, using: &random)
        return .nanoseconds(Int64(seconds * 1e9))
    }
}
