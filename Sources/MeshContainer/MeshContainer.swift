// MeshContainer: container engines (Podman, Docker), meshbed's image, and the objects of
// `--runtime container`.
//
//   ContainerEngine    the engine: found on this machine, run with a deadline
//   ImageBuilder       `meshbed image build`: FROM scratch, the binary and its libraries
//                      (and ip, iptables-restore for the control plane's packet filters);
//                      labelled with the binary, rebuilt by `up` when it holds another
//   ContainerRun       a run's engine, image and names; the engine command lines (network,
//                      pods or infra containers, foreground containers)
//   ContainerNetwork   makes the network and the pods, names their namespaces for the
//                      packet filters, removes everything by the run's label
//
// Every object carries the run's tag in its name and the label io.meshbed.run=TAG, so what
// a killed supervisor left is found again and nothing else is touched.
