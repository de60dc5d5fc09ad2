import MeshOrchestrator

/// `meshbed down [NAME] [--state-dir DIR]`: stops a running topology; no process survives it.
enum DownCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "down")
        let stateDirectory = try scanner.option("--state-dir")
        let names = scanner.positionals()
        try scanner.finish()
        guard names.count <= 1 else { throw UsageError("down: expected at most one topology NAME, got \(names.count)") }
        if let name = names.first { try NameRules.check(name, flag: "NAME") }
        return TopologyStopper.down(name: names.first, stateDirectory: stateDirectory)
    }
}
