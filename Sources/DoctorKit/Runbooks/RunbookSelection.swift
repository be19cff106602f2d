/// Picks the runbooks a `--check` argument names.
public enum RunbookSelection {
    /// Why a selection failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// An id no runbook has, with the nearest known id if any.
        case unknown(String, suggestion: String?)
        /// The argument named nothing.
        case empty

        public var description: String {
            switch self {
            case let .unknown(id, suggestion):
                "no runbook named \"\(id)\"" + (suggestion.map { " (did you mean \"\($0)\"?)" } ?? "")
            case .empty: "--check needs `all` or runbook ids separated by commas"
            }
        }
    }

    /// The runbooks named by `argument` (`all`, or `id,id`), in the order given.
    public static func select(_ argument: String, from runbooks: [Runbook]) -> Result<[Runbook], Failure> {
        let ids = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !ids.isEmpty else { return .failure(.empty) }
        if ids == ["all"] { return .success(runbooks) }
        var selected: [Runbook] = []
        for id in ids {
            guard let runbook = runbooks.first(where: { $0.id == id }) else {
                return .failure(.unknown(id, suggestion: nearest(id, in: runbooks.map(\.id))))
            }
            if !selected.contains(where: { $0.id == id }) { selected.append(runbook) }
        }
        return .success(selected)
    }

    /// The candidate closest to `word` by edit distance, if close enough to be a typo.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
        return best
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = b.isEmpty ? [i] : current
        }
        return previous[b.count]
    }
}

import Foundation
