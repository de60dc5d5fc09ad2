/// A pipeline's filters (`ProxyPipeline`) sorted by hook, built once per mode on each loop:
/// an exchange calls each hook only on the filters that implement it (`ProxyFilter.hooks`),
/// in pipeline order. Each call through the `any ProxyFilter` existential retains and
/// releases the filter, and an outbound request would otherwise make 36 such calls of
/// which 13 do something.
struct FilterChain {
    /// Every filter, in pipeline order.
    let all: [any ProxyFilter]
    let requestStarted: [any ProxyFilter]
    let requestReceived: [any ProxyFilter]
    let attemptStarting: [any ProxyFilter]
    let attemptStarted: [any ProxyFilter]
    let attemptEnded: [any ProxyFilter]
    let retryAllowed: [any ProxyFilter]
    let requestEnded: [any ProxyFilter]

    init(_ filters: [any ProxyFilter]) {
        all = filters
        func having(_ hook: FilterHooks) -> [any ProxyFilter] { filters.filter { $0.hooks.contains(hook) } }
        requestStarted = having(.requestStarted)
        requestReceived = having(.requestReceived)
        attemptStarting = having(.attemptStarting)
        attemptStarted = having(.attemptStarted)
        attemptEnded = having(.attemptEnded)
        retryAllowed = having(.retryAllowed)
        requestEnded = having(.requestEnded)
    }
}
