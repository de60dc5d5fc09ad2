/// One stage of the sidecar's request pipeline (`ProxyPipeline` lists them in order, with
/// why each sits where it does). A filter looks at the exchange, records its decision in the
/// exchange's `DecisionRecord`, and lets the request go on or answers it (`FilterVerdict`),
/// as Envoy's HTTP filters do. Filters keep no per-request state of their own: that lives in
/// the `ProxyExchange`; a filter instance serves every connection of one event loop.
protocol ProxyFilter: AnyObject {
    /// The hooks below this filter implements (the exchange calls no other); every hook
    /// unless the filter says otherwise.
    var hooks: FilterHooks { get }
    /// A request head arrived (once per request, before any attempt).
    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict
    /// The whole request (head and body) has arrived.
    func requestReceived(_ exchange: ProxyExchange)
    /// An attempt is about to start: the filter that picks endpoints sets `exchange.endpoint`.
    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict
    /// Every filter let the attempt start: it goes to `exchange.endpoint` now.
    func attemptStarted(_ exchange: ProxyExchange)
    /// An attempt ended with `outcome`, before its response (if any) was passed on or dropped,
    /// or when the request ended while it was in flight (`.abandoned`). Every started attempt
    /// ends exactly once.
    func attemptEnded(_ exchange: ProxyExchange, outcome: AttemptOutcome)
    /// A failed attempt is about to be retried (the policy allows it): nil lets it, a
    /// refusal stops it (a spent retry budget, say).
    func retryAllowed(_ exchange: ProxyExchange) -> RetryState.Refusal?
    /// The request is over: answered, failed, or abandoned by the caller.
    func requestEnded(_ exchange: ProxyExchange)
}

extension ProxyFilter {
    var hooks: FilterHooks { .all }
    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict { .proceed }
    func requestReceived(_ exchange: ProxyExchange) {}
    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict { .proceed }
    func attemptStarted(_ exchange: ProxyExchange) {}
    func attemptEnded(_ exchange: ProxyExchange, outcome: AttemptOutcome) {}
    func retryAllowed(_ exchange: ProxyExchange) -> RetryState.Refusal? { nil }
    func requestEnded(_ exchange: ProxyExchange) {}
}
