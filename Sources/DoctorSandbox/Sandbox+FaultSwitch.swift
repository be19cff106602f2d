import DoctorKit
import Foundation

/// A fault switch that happened: what was injected before, what is now, and when.
public struct SandboxFaultSwitch: Sendable, Equatable {
    /// The fault before the switch; nil when the sandbox was healthy.
    public var from: SandboxFault?
    /// The fault after it; nil when the fault was lifted.
    public var to: SandboxFault?
    /// When the new world started serving.
    public var at: Date

    /// One line for people: `fault wrong-secret lifted at 14:02:05 UTC: healthy`.
    public var line: String {
        let time = String(UTCTime.string(at, .readable).split(separator: " ")[1]) + " UTC"
        switch (from, to) {
        case let (from?, nil): return "fault \(from.name) lifted at \(time): healthy"
        case let (from, to?):
            return "fault \(to.name) set at \(time)" + " (was \(from?.name ?? "healthy")): \(to.summary)"
        case (nil, nil): return "no fault to lift at \(time): healthy"
        }
    }
}

/// Why a fault switch did not happen; the sandbox keeps serving its previous world.
public struct SandboxFaultSwitchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line saying what failed.
    public var description: String
}

/// What the server's handler holds: the stand-ins serving now, swapped whole by a fault switch,
/// and the control route's answerer. It holds neither the sandbox nor a world for good, so the
/// sandbox's `deinit` still stops the server (see `SandboxAPI`).
final class SandboxRouter: @unchecked Sendable {
    private let lock = NSLock()
    private var api: SandboxAPI
    private var control: (@Sendable (ServerRequest) -> ServerResponse)?

    init(_ api: SandboxAPI) { self.api = api }

    /// The stand-ins serving now.
    var current: SandboxAPI {
        get { lock.withLock { api } }
        set { lock.withLock { api = newValue } }
    }

    /// Sets who answers `/sandbox/fault` (the sandbox, weakly).
    func setControl(_ answer: @escaping @Sendable (ServerRequest) -> ServerResponse) {
        lock.withLock { control = answer }
    }

    /// The control route first, so it never reaches the stand-ins or the service's request log;
    /// everything else goes to the world serving when the request arrived.
    func handle(_ request: ServerRequest) -> ServerResponse {
        if request.path == Sandbox.faultRoute {
            let control = lock.withLock { self.control }
            return control?(request) ?? ServerResponse(status: 503)
        }
        return current.handle(request)
    }
}

extension Sandbox {
    /// Rebuilds the sandbox's world for `newFault` (nil: healthy) and swaps it in under the running
    /// server: the same secrets, port and database cluster, the database reseeded as a fresh
    /// `Sandbox(fault:)` with `startDatabase()` would hold it. A request in flight finishes in the
    /// world it started in; the service log's live lines are carried into the new world.
    ///
    /// `db-down` stops the cluster's server (its data kept) and lifting it starts it again on the
    /// same port, so `DATABASE_URL` never changes. Blocks for as long as PostgreSQL takes: call it
    /// off the cooperative pool.
    @discardableResult
    public func switchFault(to newFault: SandboxFault?) throws(SandboxFaultSwitchError) -> SandboxFaultSwitch {
        let change: SandboxFaultSwitch
        do {
            switchLock.lock()
            defer { switchLock.unlock() }
            let (port, wantsDatabase, stopped) = lock.withLock { (server?.port, self.wantsDatabase, self.stopped) }
            guard !stopped else { throw SandboxFaultSwitchError(description: "the sandbox has stopped") }
            let old = api
            let fresh = Self.makeAPI(fault: newFault, secrets: secrets, now: Int(Date().timeIntervalSince1970))
            if wantsDatabase {
                try switchDatabase(to: newFault, payments: fresh.stripe.payments)
            }
            carryOver(from: old, to: fresh)
            // The account, the endpoints and the deploy history keep their ids (`SandboxSecrets.stable`).
            if let port { wire(fresh, port: port) }
            if newFault != .dbDown && lock.withLock({ database != nil }) { startLoggingEvents(fresh) }
            router.current = fresh
            change = SandboxFaultSwitch(from: old.payment.fault, to: newFault, at: Date())
        }
        let observer = lock.withLock { switchObserver }
        observer?(change)
        return change
    }

    /// Calls `observer` after every fault switch, outside the sandbox's locks.
    public func onFaultSwitch(_ observer: @escaping @Sendable (SandboxFaultSwitch) -> Void) {
        lock.withLock { switchObserver = observer }
    }

    /// What must survive a switch: what the service printed while serving (its live log lines)
    /// and how many resends Stripe answered.
    private func carryOver(from old: SandboxAPI, to fresh: SandboxAPI) {
        let since = old.builtAt
        let live = old.payment.log.all.filter { $0.time >= since }
        if !live.isEmpty { fresh.payment.log.seed(fresh.payment.log.all + live) }
        let resends = old.stripe.lock.withLock { old.stripe.resendCalls }
        fresh.stripe.lock.withLock { fresh.stripe.resendCalls += resends }
        let created = old.stripe.lock.withLock { old.stripe.paymentIntentCalls }
        fresh.stripe.lock.withLock { fresh.stripe.paymentIntentCalls += created }
    }

    /// The database side of a switch: `db-down` stops the server, anything else has it running
    /// (started on the port `DATABASE_URL` names when the sandbox began down) and reseeded.
    private func switchDatabase(to newFault: SandboxFault?, payments: SandboxPayments) throws(SandboxFaultSwitchError) {
        let cluster = lock.withLock { database }
        do {
            if newFault == .dbDown {
                try cluster?.pause()
                return
            }
            guard let cluster else {
                // Began under db-down: a cluster on the closed port DATABASE_URL was pointing at.
                let made = try makeCluster(port: secrets.databasePort, fault: newFault, payments: payments)
                lock.withLock { database = made }
                return
            }
            try cluster.resume()
            try cluster.execute("""
                BEGIN;
                SET LOCAL ROLE payments;
                DROP TABLE IF EXISTS "Payment", "AiEvent", "_prisma_migrations";
                \(Self.tableStatements(fault: newFault, payments: payments))
                COMMIT;
                ANALYZE;
                """, database: "payments")
        } catch {
            throw SandboxFaultSwitchError(description: "the sandbox's database: \(error.description)")
        }
    }
}

extension JSONValue {
    /// The object with the member `key` set to `value` (appended when absent).
    func replacing(_ key: String, with value: JSONValue) -> JSONValue {
        guard case var .object(members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
        return .object(members)
    }
}
