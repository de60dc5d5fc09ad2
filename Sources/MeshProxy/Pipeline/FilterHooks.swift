/// Which of `ProxyFilter`'s hooks a filter implements; the others are the protocol's no-op
/// defaults, which the exchange does not call (`FilterChain`).
struct FilterHooks: OptionSet, Sendable {
    let rawValue: UInt8

    static let requestStarted = FilterHooks(rawValue: 1 << 0)
    static let requestReceived = FilterHooks(rawValue: 1 << 1)
    static let attemptStarting = FilterHooks(rawValue: 1 << 2)
    static let attemptStarted = FilterHooks(rawValue: 1 << 3)
    static let attemptEnded = FilterHooks(rawValue: 1 << 4)
    static let retryAllowed = FilterHooks(rawValue: 1 << 5)
    static let requestEnded = FilterHooks(rawValue: 1 << 6)

    /// Every hook (a filter that does not say which it implements gets them all called).
    static let all: FilterHooks = [.requestStarted, .requestReceived, .attemptStarting, .attemptStarted, .attemptEnded, .retryAllowed,
                                   .requestEnded]
}
