import MeshResilience
import Testing

@Suite struct RetryBudgetTests {
    @Test func arithmeticFollowsEnvoy() {
        let budget = RetryBudget()
        #expect(budget.budgetPercent == 20)
        #expect(budget.minRetryConcurrency == 3)
        let allowed = [0, 1, 10, 15, 19, 20, 24, 25, 100, 1_000].map { budget.allowedRetries(activeRequests: $0) }
        #expect(allowed == [3, 3, 3, 3, 3, 4, 4, 5, 20, 200])
        let custom = RetryBudget(budgetPercent: 50, minRetryConcurrency: 1)
        #expect([0, 1, 3, 10].map { custom.allowedRetries(activeRequests: $0) } == [1, 1, 1, 5])
        let closed = RetryBudget(budgetPercent: -5, minRetryConcurrency: -1)
        #expect(closed.allowedRetries(activeRequests: 100) == 0)
        #expect(closed.tryAcquireRetry() == false)
    }

    @Test func withNoActiveRequestTheMinimumApplies() {
        let budget = RetryBudget()
        #expect((0..<5).map { _ in budget.tryAcquireRetry() } == [true, true, true, false, false])
        #expect(budget.activeRetries == 3)
        budget.retryEnded()
        #expect(budget.tryAcquireRetry())
        #expect(budget.tryAcquireRetry() == false)
    }

    @Test func tenAndAHundredActiveRequests() {
        let budget = RetryBudget()
        for _ in 0..<10 { budget.requestStarted() }
        #expect((0..<4).filter { _ in budget.tryAcquireRetry() }.count == 3)
        for _ in 0..<3 { budget.retryEnded() }
        for _ in 0..<90 { budget.requestStarted() }
        #expect(budget.activeRequests == 100)
        #expect((0..<25).filter { _ in budget.tryAcquireRetry() }.count == 20)
        // Fewer active requests shrink the budget: retries in flight must drain below it.
        for _ in 0..<50 { budget.requestEnded() }
        #expect(budget.tryAcquireRetry() == false)
        for _ in 0..<10 { budget.retryEnded() }
        #expect(budget.tryAcquireRetry() == false)
        budget.retryEnded()
        #expect(budget.tryAcquireRetry())
        #expect(budget.activeRetries == 10)
    }

    @Test func countersReturnToZeroUnderConcurrency() async {
        let budget = RetryBudget()
        let granted = await withTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var granted = 0
                    var withinLimit = true
                    for _ in 0..<20_000 {
                        budget.requestStarted()
                        if budget.tryAcquireRetry() {
                            granted += 1
                            // At most 8 requests are active, so the floor of 3 is the limit.
                            if budget.activeRetries > 3 { withinLimit = false }
                            budget.retryEnded()
                        }
                        budget.requestEnded()
                    }
                    return (granted, withinLimit)
                }
            }
            var total = 0
            for await (count, withinLimit) in group {
                #expect(withinLimit)
                total += count
            }
            return total
        }
        #expect(granted > 0)
        #expect(budget.activeRequests == 0)
        #expect(budget.activeRetries == 0)
    }
}
