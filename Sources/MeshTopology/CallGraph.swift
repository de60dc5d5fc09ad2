import MeshYAML

/// The services and who calls whom, for finding call cycles (internal).
///
/// Cycles are reported once per strongly connected component (a group of services that
/// all reach each other): one cycle of the group, at the `calls` entry that closes it when
/// services are walked depth-first in the order written. Both walks are iterative (an
/// explicit stack), so a chain of any length cannot overflow the thread's stack, and the
/// work is linear in services plus calls.
struct CallGraph {
    /// Services in order, each with its calls (callee and the entry that names it).
    let edges: [(service: String, calls: [(name: String, node: YAMLNode)])]

    /// The longest cycle spelled out in full; a longer one shows its start and end.
    static let shownCycleLength = 12

    /// Logs `call cycle: a -> b -> a` once per group of services that call each other.
    func reportCycles(log: inout DiagnosticLog) {
        // Services as indexes; calls to services that are not in the graph are dropped.
        var index: [String: Int] = [:]
        for (offset, entry) in edges.enumerated() where index[entry.service] == nil {
            index[entry.service] = offset
        }
        let names = edges.map(\.service)
        let callees: [[(target: Int, node: YAMLNode)]] = edges.enumerated().map { offset, entry in
            // A name listed twice under `services:` keeps its first entry's calls.
            guard index[entry.service] == offset else { return [] }
            return entry.calls.compactMap { call in index[call.name].map { ($0, call.node) } }
        }
        let component = Self.components(callees)
        var groupSize: [Int: Int] = [:]
        for group in component { groupSize[group, default: 0] += 1 }

        // A second depth-first walk in the order written: the first back edge into each
        // component closes the cycle reported for it.
        enum State: UInt8 { case unvisited, onPath, done }
        var state = [State](repeating: .unvisited, count: edges.count)
        var positionOnPath = [Int](repeating: -1, count: edges.count)
        var reported = Set<Int>()
        var path: [Int] = []
        var stack: [(service: Int, next: Int)] = []
        for root in 0..<edges.count where state[root] == .unvisited {
            stack.append((root, 0))
            state[root] = .onPath
            positionOnPath[root] = 0
            path.append(root)
            while let top = stack.last {
                let service = top.service
                if top.next == callees[service].count {
                    stack.removeLast()
                    path.removeLast()
                    state[service] = .done
                    continue
                }
                stack[stack.count - 1].next += 1
                let call = callees[service][top.next]
                switch state[call.target] {
                case .onPath:
                    guard reported.insert(component[call.target]).inserted else { continue }
                    let cycle = path[positionOnPath[call.target]...].map { names[$0] } + [names[call.target]]
                    log.error(Self.message(cycle: cycle, groupSize: groupSize[component[call.target]] ?? 0), at: call.node.mark)
                case .done:
                    continue
                case .unvisited:
                    state[call.target] = .onPath
                    positionOnPath[call.target] = path.count
                    path.append(call.target)
                    stack.append((call.target, 0))
                }
            }
        }
    }

    /// `call cycle: a -> b -> a`; a long cycle shows its first and last services and its
    /// length; a group larger than the cycle says how many services it has.
    static func message(cycle: [String], groupSize: Int) -> String {
        let services = cycle.count - 1
        var text = "call cycle: "
        if cycle.count <= shownCycleLength + 1 {
            text += cycle.joined(separator: " -> ")
        } else {
            let head = cycle.prefix(shownCycleLength / 2).joined(separator: " -> ")
            let tail = cycle.suffix(shownCycleLength / 2).joined(separator: " -> ")
            text += "\(head) -> … -> \(tail) (\(services) services)"
        }
        if groupSize > services {
            text += "; \(groupSize) services call each other in cycles here, this is one of them"
        }
        return text
    }

    /// The strongly connected component of each node (Tarjan's algorithm, iterative):
    /// nodes get the same number exactly when each reaches the other.
    static func components(_ callees: [[(target: Int, node: YAMLNode)]]) -> [Int] {
        let count = callees.count
        var order = [Int](repeating: -1, count: count)  // discovery number, -1: unvisited
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var component = [Int](repeating: -1, count: count)
        var stack: [Int] = []
        var work: [(node: Int, next: Int)] = []
        var counter = 0
        var components = 0
        for root in 0..<count where order[root] == -1 {
            work.append((root, 0))
            while let top = work.last {
                let node = top.node
                if top.next == 0, order[node] == -1 {
                    order[node] = counter
                    low[node] = counter
                    counter += 1
                    stack.append(node)
                    onStack[node] = true
                }
                if top.next < callees[node].count {
                    work[work.count - 1].next += 1
                    let target = callees[node][top.next].target
                    if order[target] == -1 {
                        work.append((target, 0))
                    } else if onStack[target] {
                        low[node] = min(low[node], order[target])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node {
                    low[parent] = min(low[parent], low[node])
                }
                if low[node] == order[node] {
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component[member] = components
                        if member == node { break }
                    }
                    components += 1
                }
            }
        }
        return component
    }
}
