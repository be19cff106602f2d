import Foundation

/// How each area of two snapshots is compared, one line per change.
extension SessionDiff {
    static func deploy(_ a: StateSnapshot.Deploy, _ b: StateSnapshot.Deploy) -> [String] {
        func described(_ deploy: StateSnapshot.Deploy) -> String {
            "\(deploy.id) (\(deploy.status)" + (deploy.commit.map { ", commit \($0.prefix(7))" } ?? "") + ")"
        }
        if a.id != b.id { return ["new deploy \(described(b)), was \(described(a))"] }
        if a.status != b.status { return ["deploy \(a.id) is now \(b.status), was \(a.status)"] }
        return []
    }

    static func variables(_ a: StateSnapshot.Variables, _ b: StateSnapshot.Variables) -> [String] {
        var lines: [String] = []
        let (before, after) = (Set(a.names), Set(b.names))
        let added = after.subtracting(before).sorted(), removed = before.subtracting(after).sorted()
        if !added.isEmpty { lines.append("deployed variables added: \(added.joined(separator: ", "))") }
        if !removed.isEmpty { lines.append("deployed variables removed: \(removed.joined(separator: ", "))") }
        // Each run compared the deployed value with the local one inside its process; a name whose
        // comparison turned is a value that changed on one side (the names are all that is shown).
        for name in Set(a.comparedWithLocal.keys).intersection(b.comparedWithLocal.keys).sorted()
        where a.comparedWithLocal[name] != b.comparedWithLocal[name] && after.contains(name) {
            lines.append("deployed \(name) now \(b.comparedWithLocal[name]!), was \(a.comparedWithLocal[name]!)")
        }
        return lines
    }

    static func endpoint(_ a: StateSnapshot.Endpoint, _ b: StateSnapshot.Endpoint, targets: (String?, String?)) -> [String] {
        switch (a.found, b.found) {
        case (true, false): return ["the webhook endpoint \(a.id ?? "") (\(a.url ?? "?")) is gone"]
        case (false, true): return ["a webhook endpoint appeared: \(b.id ?? "") (\(b.url ?? "?"))"]
        case (false, false): return []
        case (true, true): break
        }
        var lines: [String] = []
        // A URL is read relative to its run's API_URL: the same path on the same service is the
        // same endpoint even when the base moved (the sandbox listens on a new port each run).
        func relative(_ url: String?, _ target: String?) -> String? {
            guard let url, let target, !target.isEmpty, url.hasPrefix(target) else { return url }
            return "${API_URL}" + url.dropFirst(target.count)
        }
        if relative(a.url, targets.0) != relative(b.url, targets.1) {
            lines.append("webhook endpoint URL now \(b.url ?? "none"), was \(a.url ?? "none")")
        }
        if a.status != b.status { lines.append("webhook endpoint now \(b.status ?? "unknown"), was \(a.status ?? "unknown")") }
        let (before, after) = (Set(a.enabledEvents), Set(b.enabledEvents))
        let added = after.subtracting(before).sorted(), removed = before.subtracting(after).sorted()
        if !added.isEmpty { lines.append("webhook endpoint now also receives \(added.joined(separator: ", "))") }
        if !removed.isEmpty { lines.append("webhook endpoint no longer receives \(removed.joined(separator: ", "))") }
        if a.apiVersion != b.apiVersion {
            lines.append("webhook endpoint API version now \(b.apiVersion ?? "the account default"), was \(a.apiVersion ?? "the account default")")
        }
        // Last: what the other lines say is more often the failure's cause than the new id.
        if a.id != b.id { lines.append("webhook endpoint recreated: \(b.id ?? "?"), was \(a.id ?? "?") (a new endpoint has a new signing secret)") }
        return lines
    }

    static func schema(_ a: StateSnapshot.Schema, _ b: StateSnapshot.Schema) -> [String] {
        var lines: [String] = []
        for table in Set(a.tables.keys).union(b.tables.keys).union(a.missing).union(b.missing).sorted() {
            switch (a.tables[table], b.tables[table]) {
            case (nil, .some) where a.missing.contains(table): lines.append("table \(table) now exists")
            case (.some, nil) where b.missing.contains(table): lines.append("table \(table) no longer exists")
            case let (before?, after?):
                let added = Set(after).subtracting(before).sorted(), removed = Set(before).subtracting(after).sorted()
                if !added.isEmpty { lines.append("\(table) columns added: \(added.joined(separator: ", "))") }
                if !removed.isEmpty { lines.append("\(table) columns removed: \(removed.joined(separator: ", "))") }
            default: break
            }
        }
        return lines
    }

    static func migrations(_ a: StateSnapshot.Migrations, _ b: StateSnapshot.Migrations) -> [String] {
        var lines: [String] = []
        let known = Set(a.names)
        let new = b.names.filter { !known.contains($0) }
        if !new.isEmpty {
            lines.append("migrations applied since: \(new.joined(separator: ", "))")
        } else if a.applied != b.applied || a.newest != b.newest {
            lines.append("applied migrations now \(b.applied) (newest \(b.newest ?? "none")), were \(a.applied) (newest \(a.newest ?? "none"))")
        }
        let unfinished = b.unfinished.filter { !a.unfinished.contains($0) }
        if !unfinished.isEmpty { lines.append("migrations started and not finished: \(unfinished.joined(separator: ", "))") }
        return lines
    }

    static func account(_ a: StateSnapshot.Account, _ b: StateSnapshot.Account) -> [String] {
        var lines: [String] = []
        if a.id != b.id { lines.append("Stripe account now \(b.id ?? "unknown"), was \(a.id ?? "unknown")") }
        if a.mode != b.mode { lines.append("Stripe mode now \(b.mode ?? "unknown"), was \(a.mode ?? "unknown")") }
        return lines
    }
}
