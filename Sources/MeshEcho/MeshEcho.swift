// MeshEcho: the echo application behind each sidecar (`meshbed echo`).
