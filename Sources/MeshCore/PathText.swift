/// File paths as text, the way NSString's path methods treated them (kept here so meshbed
/// needs nothing of the Foundation that links CoreFoundation): `/` separates components,
/// trailing slashes are not a component of their own, and `/` alone is the root.
public enum PathText {
    /// `path` without trailing slashes (the root stays `/`).
    private static func trimmed(_ path: String) -> Substring {
        var text = Substring(path)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        return text
    }

    /// The last component: `a/b.yaml` → `b.yaml`, `/a/b/` → `b`, `/` → `/`, `` → ``.
    public static func lastComponent(_ path: String) -> String {
        let text = trimmed(path)
        if text == "/" { return "/" }
        guard let slash = text.lastIndex(of: "/") else { return String(text) }
        return String(text[text.index(after: slash)...])
    }

    /// The path without its last component: `a/b.yaml` → `a`, `b.yaml` → ``, `/b` → `/`,
    /// `/a/b/` → `/a`, `/` → `/`.
    public static func deletingLastComponent(_ path: String) -> String {
        let text = trimmed(path)
        if text == "/" { return "/" }
        guard let slash = text.lastIndex(of: "/") else { return "" }
        var parent = text[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// `component` under `directory`, one `/` between: `a` + `b` → `a/b`, `a/` + `b` → `a/b`,
    /// `` + `b` → `b`.
    public static func appending(_ directory: String, _ component: String) -> String {
        if directory.isEmpty { return component }
        let base = trimmed(directory)
        return base == "/" ? "/" + component : base + "/" + component
    }
}
