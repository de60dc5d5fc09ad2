// meshbed: a service-mesh testbed. Everything lives in the libraries; this only hands over the arguments.
import MeshCLI
import MeshIO

Posix.exit(CommandLineTool.main(Array(CommandLine.arguments.dropFirst())))
