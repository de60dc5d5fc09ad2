import MeshYAML

/// Helpers the MeshYAML tests share: one document, the error of bad input, and a compact
/// rendering of a node tree for exact comparisons.
enum YAMLTestSupport {
    struct NotOneDocument: Error {
        var count: Int
    }

    /// The single document of `text`.
    static func document(_ text: String) throws -> YAMLNode {
        let documents = try YAMLParser.parse(text)
        guard documents.count == 1, let only = documents.first else { throw NotOneDocument(count: documents.count) }
        return only
    }

    /// The error reading `text`, or nil when it reads.
    static func error(_ text: String) -> YAMLError? {
        do {
            _ = try YAMLParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// Scalars as Swift string literals (tag first when there is one), `[a, b]`, `{k: v}`.
    static func render(_ node: YAMLNode) -> String {
        let tag = node.tag.map { $0 + " " } ?? ""
        switch node.kind {
        case .scalar(let text, _):
            return tag + text.debugDescription
        case .sequence(let items):
            return tag + "[" + items.map(render).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return tag + "{" + pairs.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// The rendering of the single document of `text`, or the error as text.
    static func rendered(_ text: String) -> String {
        do {
            return render(try document(text))
        } catch {
            return "error: \(error)"
        }
    }
}
