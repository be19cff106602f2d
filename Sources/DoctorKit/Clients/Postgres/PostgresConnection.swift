@preconcurrency import CPostgres
import Dispatch
import Foundation

/// One PostgreSQL session over libpq, owning its `PGconn`.
///
/// Every libpq call on the connection runs on the connection's own serial queue, never on the
/// cooperative pool, and each waits on the socket with `poll` up to a deadline. A query that misses
/// its deadline closes the connection: the server's `statement_timeout` then ends the query by
/// itself, so nothing waits on libpq 15's blocking cancel.
public final class PostgresConnection: @unchecked Sendable {
    /// The parameters it was opened with.
    public let info: PostgresConnectionInfo
    /// The server's version, e.g. `15.18`.
    public let serverVersion: String
    /// The TLS protocol and cipher in use, nil for a plain connection.
    public let tls: (protocol: String, cipher: String)?
    /// The server process serving this session, to leave it out of connection counts.
    public let backendPID: Int32
    /// How long the connection took to open.
    public let connectDuration: Duration

    private let queue: DispatchQueue
    /// Touched only on `queue`.
    private var handle: OpaquePointer?
    /// Set once the handle is gone; read from any thread without waiting for a running query.
    private let closedFlag = LockedFlag()

    private init(
        info: PostgresConnectionInfo, handle: OpaquePointer, queue: DispatchQueue, connectDuration: Duration
    ) {
        self.info = info
        self.handle = handle
        self.queue = queue
        self.connectDuration = connectDuration
        // "15.18 (Debian 15.18-0+deb12u1)": the number is what matters.
        serverVersion = PQparameterStatus(handle, "server_version").map { String(cString: $0).split(separator: " ").first.map(String.init) ?? "" } ?? "unknown"
        backendPID = PQbackendPID(handle)
        if PQsslInUse(handle) == 1 {
            let proto = PQsslAttribute(handle, "protocol").map { String(cString: $0) } ?? "TLS"
            let cipher = PQsslAttribute(handle, "cipher").map { String(cString: $0) } ?? "unknown"
            tls = (proto, cipher)
        } else {
            tls = nil
        }
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a session, giving up at `deadline` (and at libpq's `connect_timeout`, whichever is first).
    public static func connect(
        _ info: PostgresConnectionInfo, deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> PostgresConnection {
        let queue = DispatchQueue(label: "doctor.postgres")
        let result: Result<PostgresConnection, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: open(info, deadline: deadline, queue: queue))
            }
        }
        return try result.get()
    }

    /// The blocking part of `connect`, on the connection's queue.
    private static func open(
        _ info: PostgresConnectionInfo, deadline: ContinuousClock.Instant, queue: DispatchQueue
    ) -> Result<PostgresConnection, PostgresError> {
        let start = ContinuousClock.now
        guard let conn = info.withCArrays({ PQconnectStartParams($0, $1, 0) }) else {
            return .failure(.invalidParameters("out of memory"))
        }
        if PQstatus(conn) == CONNECTION_BAD {
            let message = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            return .failure(.invalidParameters(info.scrub(PostgresError.firstLine(message))))
        }
        // libpq enforces connect_timeout only in its blocking calls; with PQconnectPoll it is ours to keep.
        let limit = info.connectTimeoutSeconds > 0 ? min(deadline, start + .seconds(info.connectTimeoutSeconds)) : deadline
        var status = PGRES_POLLING_WRITING
        while true {
            switch status {
            case PGRES_POLLING_OK:
                return .success(PostgresConnection(info: info, handle: conn, queue: queue, connectDuration: .now - start))
            case PGRES_POLLING_FAILED:
                let message = String(cString: PQerrorMessage(conn))
                PQfinish(conn)
                return .failure(.connectionFailure(message, info: info))
            default:
                let events = Int16(status == PGRES_POLLING_READING ? POLLIN : POLLOUT)
                if !wait(PQsocket(conn), events: events, until: limit) {
                    PQfinish(conn)
                    return .failure(.timedOut(host: info.hostDisplay, port: info.port, after: .now - start))
                }
                status = PQconnectPoll(conn)
            }
        }
    }

    /// Runs one statement with text parameters and returns its rows as text.
    ///
    /// - Returns: the rows and the time from sending the statement to having the whole result.
    public func query(
        _ sql: String, _ parameters: [String?] = [], deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> PostgresResult {
        let result: Result<PostgresResult, PostgresError> = await withCheckedContinuation { continuation in
            queue.async { [self] in
                continuation.resume(returning: execute(sql, parameters, deadline: deadline))
            }
        }
        return try result.get()
    }

    /// The blocking part of `query`, on the queue.
    private func execute(_ sql: String, _ parameters: [String?], deadline: ContinuousClock.Instant) -> Result<PostgresResult, PostgresError> {
        guard let conn = handle, PQstatus(conn) == CONNECTION_OK else { return .failure(.closed) }
        let start = ContinuousClock.now
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let sent = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQsendQueryParams(conn, sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0)
        }
        guard sent == 1 else {
            let message = String(cString: PQerrorMessage(conn))
            return .failure(.query(sqlState: "08006", message: info.scrub(PostgresError.firstLine(message))))
        }
        while PQisBusy(conn) == 1 {
            guard Self.wait(PQsocket(conn), events: Int16(POLLIN), until: deadline) else {
                // Closing is the only bounded way out; the server's statement_timeout ends the query.
                PQfinish(conn)
                handle = nil
                closedFlag.set()
                return .failure(.queryTimedOut(after: .now - start))
            }
            if PQconsumeInput(conn) == 0 { break }
        }
        var output = PostgresResult(columns: [], rows: [], duration: .zero)
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                let columns = (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) }
                var rows: [[String?]] = []
                for row in 0..<PQntuples(result) {
                    rows.append((0..<PQnfields(result)).map { column in
                        PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                    })
                }
                output = PostgresResult(columns: columns, rows: rows, duration: .zero)
            default:
                let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
                let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                    ?? PostgresError.firstLine(String(cString: PQresultErrorMessage(result)))
                failure = failure ?? (state == "57014"
                    ? .queryTimedOut(after: .now - start) : .query(sqlState: state, message: info.scrub(message)))
            }
        }
        if let failure { return .failure(failure) }
        if PQstatus(conn) != CONNECTION_OK {
            closedFlag.set()
            let message = String(cString: PQerrorMessage(conn))
            return .failure(.serverRefused(detail: info.scrub(PostgresError.firstLine(message))))
        }
        output.duration = .now - start
        return .success(output)
    }

    /// Whether the session can still run statements.
    public var isOpen: Bool { !closedFlag.isSet }

    /// Ends the session once any running statement is done; safe to call more than once.
    public func close() {
        closedFlag.set()
        queue.async { [self] in
            if let handle { PQfinish(handle) }
            handle = nil
        }
    }

    /// Waits until `socket` is ready for `events` or `deadline` passes; false on timeout.
    private static func wait(_ socket: Int32, events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        guard socket >= 0 else { return true }  // libpq reports the failure on the next call
        while true {
            let left = deadline - .now
            guard left > .zero else { return false }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(left.milliseconds + 1, Int64(Int32.max))))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }
        }
    }
}

/// A flag set once, readable from any thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag.
    func set() { lock.withLock { value = true } }

    /// Whether the flag is set.
    var isSet: Bool { lock.withLock { value } }
}

/// The rows of a statement, as text.
public struct PostgresResult: Sendable {
    /// The column names.
    public var columns: [String]
    /// The rows; nil for NULL.
    public var rows: [[String?]]
    /// From sending the statement to having the whole result.
    public var duration: Duration

    /// The value of `column` in the first row.
    public func first(_ column: String) -> String? {
        guard let index = columns.firstIndex(of: column), let row = rows.first else { return nil }
        return row[index]
    }
}
