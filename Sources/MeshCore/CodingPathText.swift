/// A decoding error's coding path as people read it: `spans[2].traceId`, `[0].headers`
/// (keys joined by dots, indexes in brackets; empty for the top level).
public enum CodingPathText {
    public static func text(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }
}
