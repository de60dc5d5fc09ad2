@testable import MeshContainer
import MeshNetwork
import Testing

/// The engine command lines of a container run: names and labels carrying the run's tag,
/// pods with Podman and infra containers with Docker, foreground containers.
@Suite struct ContainerRunTests {
    static let podman = ContainerRun(engine: ContainerEngine(kind: .podman, executable: "/usr/bin/podman"),
                                     image: "localhost/meshbed:latest", tag: "1a2b3c4d")
    static let docker = ContainerRun(engine: ContainerEngine(kind: .docker, executable: "/usr/bin/docker"),
                                     image: "localhost/meshbed:latest", tag: "1a2b3c4d")
    static let plan = NetnsPlan(runID: "1a2b3c4d99", instances: [("web-v1-0", "web")], subnet: "10.213.7")

    @Test func namesCarryTheTag() {
        #expect(Self.podman.network == "mb1a2b3c4d")
        #expect(Self.podman.container("web-v1-0.app") == "mb-1a2b3c4d-web-v1-0-app")
        #expect(Self.podman.container("control") == "mb-1a2b3c4d-control")
        #expect(Self.podman.pods && !Self.docker.pods)
        #expect(Self.docker.containerEngine == ContainerEngine(kind: .docker, executable: "/usr/bin/docker"))
    }

    @Test func theNetworkIsThePlansSubnet() {
        #expect(Self.podman.networkCreateArguments(Self.plan) == [
            "network", "create", "--subnet", "10.213.7.0/24", "--gateway", "10.213.7.1", "--label", "io.meshbed.run=1a2b3c4d", "mb1a2b3c4d",
        ])
    }

    @Test func podmanMakesAPodWithMeshbedAsItsInfra() throws {
        let host = try #require(Self.plan.host(of: "web-v1-0"))
        #expect(Self.podman.infraArguments(host, watch: "42:7") == [
            ["pod", "create", "--name", "mb-1a2b3c4d-web-v1-0", "--infra-name", "mb-1a2b3c4d-web-v1-0-infra", "--network", "mb1a2b3c4d",
             "--ip", "10.213.7.2", "--pid", "host", "--infra-image", "localhost/meshbed:latest",
             "--infra-command", "/usr/bin/meshbed infra --supervisor 42:7", "--label", "io.meshbed.run=1a2b3c4d"],
            ["pod", "start", "mb-1a2b3c4d-web-v1-0"],
        ])
    }

    @Test func dockerRunsAnInfraContainerInstead() throws {
        let host = try #require(Self.plan.host(of: "web-v1-0"))
        #expect(Self.docker.infraArguments(host, watch: "42:7") == [
            ["run", "-d", "--name", "mb-1a2b3c4d-web-v1-0", "--network", "mb1a2b3c4d", "--ip", "10.213.7.2", "--pid", "host",
             "--label", "io.meshbed.run=1a2b3c4d", "localhost/meshbed:latest", "infra", "--supervisor", "42:7"],
        ])
    }

    @Test func containersRunInTheForegroundInTheirPodOrOnTheirOwnAddress() {
        let app = Self.podman.runArguments("web-v1-0.app", placement: .pod("mb-1a2b3c4d-web-v1-0"), environment: ["MESHBED_RUN_ID", "TOKEN"],
                                           arguments: ["echo", "--port", "8080"])
        #expect(app == ["run", "--rm", "--name", "mb-1a2b3c4d-web-v1-0-app", "--pid", "host", "--label", "io.meshbed.run=1a2b3c4d",
                        "--pod", "mb-1a2b3c4d-web-v1-0", "-e", "MESHBED_RUN_ID", "-e", "TOKEN", "localhost/meshbed:latest",
                        "echo", "--port", "8080"])
        let joined = Self.docker.runArguments("web-v1-0.sidecar", placement: .pod("mb-1a2b3c4d-web-v1-0"), environment: [], arguments: ["proxy"])
        #expect(joined.contains("--network") && joined.contains("container:mb-1a2b3c4d-web-v1-0") && !joined.contains("--pod"))
        let ingress = Self.podman.runArguments("ingress", placement: .own(address: "10.213.7.253", published: [(41000, 8080)]),
                                               environment: [], volumes: [ContainerRun.mount("/state/x", writable: true), ContainerRun.namespacesVolume],
                                               capabilities: ["NET_ADMIN"], arguments: ["proxy", "--gateway"])
        #expect(ingress == ["run", "--rm", "--name", "mb-1a2b3c4d-ingress", "--pid", "host", "--label", "io.meshbed.run=1a2b3c4d",
                            "--network", "mb1a2b3c4d", "--ip", "10.213.7.253", "-p", "127.0.0.1:41000:8080",
                            "-v", "/state/x:/state/x:rw", "-v", "/run/netns:/run/netns:rslave", "--cap-add", "NET_ADMIN",
                            "localhost/meshbed:latest", "proxy", "--gateway"])
    }

    @Test func theImageIsLabelledWithItsBinary() {
        #expect(ImageBuilder.containerfile(identity: "19517552-1796012892627205")
                    .contains("LABEL io.meshbed.image=\"meshbed\" io.meshbed.binary=\"19517552-1796012892627205\"\n"))
        #expect(ImageBuilder.identity(of: "/nonexistent/meshbed") == "")
    }
}
