import FoundationEssentials
import MeshOrchestrator
import MeshScenario

/// `meshbed validate FILE...`: checks topology and scenario files (a scenario together with
/// its topology); every mistake as `FILE:LINE:COLUMN: message`.
enum ValidateCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "validate")
        let files = scanner.positionals()
        try scanner.finish()
        guard !files.isEmpty else { throw UsageError("validate: missing FILE (meshbed validate FILE...)") }
        var valid = true
        for file in files {
            let text = try? TopologyLoader.readText(file).get()
            guard let text, Scenario.isScenario(text: text) else {
                valid = TopologyLoader.validate([file]) == 0 && valid
                continue
            }
            switch Scenario.load(text: text, file: file) {
            case .success(let scenario):
                Console.out("\(file): valid scenario '\(scenario.name)' (\(scenario.steps.count) step\(scenario.steps.count == 1 ? "" : "s"), topology \(scenario.topologyFile))")
            case .failure(let errors):
                valid = false
                Console.error(errors.description)
            }
        }
        return valid ? 0 : 2
    }
}
