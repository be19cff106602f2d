import Foundation

extension TextRenderer {
    /// "Changed since the last good run (ID, 2 days ago)": what differs from the latest session in
    /// which the failing steps passed; nothing when there is no such session.
    public func changes(_ report: RunReport) -> String {
        guard let diff = report.changes else { return "" }
        return "\n" + style.bold("Changed since the last good run (\(diff.from.id), \(diff.age))") + "\n" + Self.changeLines(diff)
    }

    /// The changes of `diff`, one indented line each, then what could not be compared.
    public static func changeLines(_ diff: SessionDiff) -> String {
        if let problem = diff.problem { return "  \(problem)\n" }
        var out = ""
        if diff.changes.isEmpty { out += "  nothing the doctor records changed (deploy, deployed variables, endpoint, schema, account)\n" }
        for change in diff.changes { out += "  • \(change.area.rawValue): \(change.summary)\n" }
        for line in diff.notCompared { out += "  ? \(line)\n" }
        return out
    }
}
