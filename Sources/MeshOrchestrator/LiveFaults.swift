import FoundationEssentials
import MeshConfig
import MeshIO
import MeshTopology

/// Faults on a running topology through its control plane's fault API (`/v1/faults`):
/// add one (in the topology's form), list them, clear one or all. Every change is a new
/// snapshot version; `LiveRoutes.waitUntilApplied` waits until every live sidecar has it.
///
/// Used by `meshbed fault` and by the scenario `fault` and `heal` steps.
public enum LiveFaults {
    /// A fault the control plane took: its id and the version that carries it.
    public struct Added: Sendable, Equatable {
        public var id: String
        public var version: Int
    }

    /// `POST /v1/faults` with `spec` (sent in its flow form, which the control plane reads
    /// with the topology's reader). Throws exit status 2 when the control plane refuses it
    /// (its one-line reason), 1 when it does not answer.
    public static func add(_ spec: FaultSpec, control: String) throws(OrchestratorError) -> Added {
        let (status, answer) = try call("POST", "/v1/faults", body: Array(spec.description.utf8), control: control)
        guard status == 201, let added = try? JSONDecoder().decode(AddedBody.self, from: Data(answer)) else {
            throw refusal(status, answer)
        }
        return Added(id: added.fault.id, version: added.version)
    }

    /// `GET /v1/faults`: the faults in force, in the order they were added.
    public static func list(control: String) throws(OrchestratorError) -> [FaultConfig] {
        let (status, answer) = try call("GET", "/v1/faults", body: nil, control: control)
        guard status == 200, let list = try? JSONDecoder().decode(ListBody.self, from: Data(answer)) else { throw refusal(status, answer) }
        return list.faults
    }

    /// `DELETE /v1/faults/ID` (or every fault when `id` is nil): how many were cleared and
    /// the version in force afterwards (exit status 2 for an unknown id).
    public static func clear(_ id: String?, control: String) throws(OrchestratorError) -> (cleared: Int, version: Int) {
        let path = id.map { "/v1/faults/" + LiveRoutes.escaped($0) } ?? "/v1/faults"
        let (status, answer) = try call("DELETE", path, body: nil, control: control)
        guard status == 200, let cleared = try? JSONDecoder().decode(ClearedBody.self, from: Data(answer)) else { throw refusal(status, answer) }
        return (cleared.cleared, cleared.version)
    }

    private static func call(_ method: String, _ path: String, body: [UInt8]?, control: String) throws(OrchestratorError) -> (Int, [UInt8]) {
        let answer = method == "GET"
            ? HTTPProbe.get(address: control, path: path, timeout: .seconds(2))
            : HTTPProbe.send(method, address: control, path: path, json: body ?? [], timeout: .seconds(2))
        guard let answer else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) did not answer")
        }
        return answer
    }

    private static func refusal(_ status: Int, _ answer: [UInt8]) -> OrchestratorError {
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(answer)))?.error ?? "HTTP \(status)"
        return OrchestratorError(exitCode: (400..<500).contains(status) ? 2 : 1, message)
    }

    private struct AddedBody: Decodable {
        struct Fault: Decodable { var id: String }
        var fault: Fault
        var version: Int
    }

    private struct ListBody: Decodable { var faults: [FaultConfig] }
    private struct ClearedBody: Decodable {
        var cleared: Int
        var version: Int
    }

    private struct ErrorBody: Decodable { var error: String }
}
