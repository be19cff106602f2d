import Foundation

/// Why a session could not be recorded or read.
public enum SessionError: Error, Sendable, Equatable {
    /// A folder or file could not be created or opened.
    case cannotCreate(path: String, reason: String)
    /// No session has this id.
    case notFound(String)
    /// No session has been recorded yet.
    case noSessions(String)
    /// The journal holds no session start.
    case unreadable(path: String)
}

extension SessionError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .cannotCreate(path, reason): "cannot write \(path): \(reason)"
        case let .notFound(id): "no session \"\(id)\" (see `doctor sessions`)"
        case let .noSessions(root): "no sessions recorded yet in \(root)"
        case let .unreadable(path): "\(path) holds no session"
        }
    }
}

/// Dates in journals: ISO 8601 UTC with milliseconds, so events sort and round-trip.
enum JournalCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
            }
            return date
        }
        return decoder
    }

    static func format(_ date: Date) -> String { UTCTime.string(date, .iso8601Milliseconds) }

    static func parse(_ text: String) -> Date? { UTCTime.parseISO8601(text) }
}
