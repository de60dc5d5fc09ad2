import MeshOrchestrator

/// `meshbed validate FILE...`: checks topology files; every mistake as `FILE:LINE:COLUMN: message`.
enum ValidateCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "validate")
        let files = scanner.positionals()
        try scanner.finish()
        guard !files.isEmpty else { throw UsageError("validate: missing FILE (meshbed validate FILE...)") }
        return TopologyLoader.validate(files)
    }
}
