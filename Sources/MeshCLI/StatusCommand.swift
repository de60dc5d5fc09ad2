import MeshOrchestrator

/// `meshbed status [NAME] [--json] [--state-dir DIR]`: without NAME, every running topology
/// (`StatusList`); with it, that topology's state, instances, addresses, readiness and
/// identities (`StatusReport`: the SPEC §5 JSON with `--json`, a table without).
enum StatusCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "status")
        let json = scanner.flag("--json")
        let stateDirectory = try scanner.option("--state-dir")
        let names = scanner.positionals()
        try scanner.finish()
        guard names.count <= 1 else { throw UsageError("status: expected at most one topology NAME, got \(names.count)") }
        if let name = names.first { try NameRules.check(name, flag: "NAME") }
        return StatusReport.status(name: names.first, json: json, stateDirectory: stateDirectory)
    }
}
