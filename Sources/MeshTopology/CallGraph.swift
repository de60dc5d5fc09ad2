import MeshYAML

/// The services and who calls whom, for finding call cycles (internal). Each cycle is
/// reported once, at the `calls` entry that closes it when services are walked depth-first
/// in the order written.
struct CallGraph {
    /// Services in order, each with its calls (callee and the entry that names it).
    let edges: [(service: String, calls: [(name: String, node: YAMLNode)])]

    /// Logs `call cycle: a -> b -> a` at each closing entry.
    func reportCycles(log: inout DiagnosticLog) {
        enum State { case onPath, done }
        var state: [String: State] = [:]
        var callsOf: [String: [(name: String, node: YAMLNode)]] = [:]
        for (service, calls) in edges { callsOf[service] = calls }
        var path: [String] = []

        func visit(_ service: String, log: inout DiagnosticLog) {
            state[service] = .onPath
            path.append(service)
            for call in callsOf[service] ?? [] {
                switch state[call.name] {
                case .onPath:
                    let start = path.lastIndex(of: call.name)!
                    let cycle = path[start...] + [call.name]
                    log.error("call cycle: " + cycle.joined(separator: " -> "), at: call.node.mark)
                case .done:
                    continue
                case nil:
                    if callsOf[call.name] != nil { visit(call.name, log: &log) }
                }
            }
            path.removeLast()
            state[service] = .done
        }

        for (service, _) in edges where state[service] == nil {
            visit(service, log: &log)
        }
    }
}
