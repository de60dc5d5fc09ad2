// MeshProxy: the sidecar. Outbound listener for its app, inbound listener for peers, gateway mode for the ingress, admin port; routes from the control plane's snapshots.
