import MeshCore

/// What Prometheus needs to scrape a running topology: its admin ports as `file_sd` targets
/// (one group per sidecar, labelled `topology`, `service`, `version`, `instance`; the
/// ingress gateway's as service `ingress`, the control plane's as `control-plane`), and the configuration `up --prometheus` starts
/// its server with (every second, from that file, which Prometheus reads again as it changes).
public enum PrometheusTargets {
    /// The `file_sd` JSON of `state`'s admin ports.
    public static func fileSD(_ state: MeshState) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.array(into: &out) { list in
            func group(_ address: String, _ labels: [(String, String)]) {
                list.element(object: { item in
                    item.field("targets", array: { $0.element(string: address) })
                    item.field("labels", object: { object in
                        object.field("topology", string: state.name)
                        for (name, value) in labels { object.field(name, string: value) }
                    })
                })
            }
            for sidecar in state.sidecarAdmins {
                if let instance = sidecar.instance {
                    group(sidecar.admin, [("service", instance.service), ("version", instance.version), ("instance", instance.id)])
                } else {
                    group(sidecar.admin, [("service", "ingress"), ("instance", "ingress")])
                }
            }
            if let control = state.control { group(control, [("service", "control-plane"), ("instance", "control")]) }
        }
        out.append(10)
        return out
    }

    /// The server's `prometheus.yml`: job `meshbed`, scraped every second from `targetsFile`.
    public static func configuration(targetsFile: String) -> String {
        """
        # Written by meshbed up --prometheus: every sidecar's admin /metrics, every second.
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: meshbed
            metrics_path: /metrics
            file_sd_configs:
              - files: ['\(targetsFile)']
                refresh_interval: 1s

        """
    }
}
