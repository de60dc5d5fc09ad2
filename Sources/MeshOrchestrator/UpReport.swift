/// What `meshbed up` prints once a topology is ready: where things listen and how to try it.
public enum UpReport {
    /// The lines for a ready `state`; `stop` says how to stop it.
    public static func ready(_ state: MeshState, stop: String) -> String {
        var lines = ["meshbed up: '\(state.name)' is ready (\(state.instances.count) instance\(state.instances.count == 1 ? "" : "s"))"]
        if let control = state.control { lines.append("  control  \(control)") }
        if let prometheus = state.prometheus { lines.append("  prometheus http://\(prometheus) (scraping every admin port)") }
        if let ingress = state.ingress {
            lines.append("  ingress  \(ingress)")
            if let entry = state.instances.first {
                lines.append("  try:     curl -H 'Host: \(entry.service)' http://\(ingress)/")
            }
        } else {
            let width = state.instances.map(\.id.count).max() ?? 0
            for instance in state.instances {
                lines.append("  \(instance.id.padded(to: width))  \(instance.app)")
            }
            if let entry = state.instances.first {
                lines.append("  try:     curl http://\(entry.app)/")
            }
        }
        lines.append("  stop:    \(stop)")
        return lines.joined(separator: "\n")
    }
}
