// MeshCLI: command-line parsing and the meshbed subcommands. Each command parses and
// validates all of its arguments before it starts anything, so bad input always ends
// in one line on standard error and exit status 2.
