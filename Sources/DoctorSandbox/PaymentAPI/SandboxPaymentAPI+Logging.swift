import DoctorKit
import Foundation

extension SandboxPaymentAPI {
    /// Render's request line for an answered request: `GET /api/health 200`, with its labels.
    ///
    /// Only the method and the path go in (never the query string or a header), clipped and
    /// without control characters, so nothing a client sends can forge a line or leak through it.
    func logRequest(_ request: ServerRequest, status: Int) {
        let method = Self.token(request.method, max: 10) ?? "?"
        let path = String(request.path.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7f }.prefix(200).map(Character.init))
        log.append("\(method) \(path) \(status)", type: "request",
                   requestLabels: [("method", method), ("path", path), ("statusCode", String(status))])
    }

    /// What the handler prints for a verified event: a succeeded payment is processed and its
    /// row written (or the write fails, under `db-errors-in-logs`); another handled type is
    /// handled quietly; any other type, the doctor's own `doctor.probe` included, is logged as
    /// `Unhandled event type: <type> (<id>)`, which the doctor's log scan must recognise as its own.
    func record(event body: [UInt8]) {
        guard let event = JSONValue.parse(Data(body)) else { return }
        let type = Self.token(event["type"]) ?? "?"
        let id = Self.token(event["id"]) ?? "?"
        // The guide: every webhook event is logged in AiEvent (`events-not-recorded`: the write is
        // lost), then a succeeded payment gets its row: one task, in that order, as the handler awaits each.
        let logsEvent = fault != .eventsNotRecorded
        let payload = String(decoding: body, as: UTF8.self)
        var payment: (intent: String, amount: Int, currency: String)?
        defer {
            if let writer = currentAuditWriter, logsEvent || payment != nil {
                let write = payment
                Task.detached {
                    if logsEvent { await writer.record(id: id, type: type, payload: payload) }
                    if let write { await writer.recordPayment(intent: write.intent, amount: write.amount, currency: write.currency, status: "succeeded") }
                }
            }
        }
        if type == "payment_intent.succeeded" && handledEvents.contains(type) {
            let intent = Self.token(event["data"]?["object"]?["id"]) ?? "?"
            log.append("💰 Processing successful payment: \(intent)")
            if fault == .dbErrorsInLogs {
                log.append("❌ Database connection error: Can't reach database server at `\(databaseAddress.host)`:`\(databaseAddress.port)`",
                           level: "error")
            } else {
                if let object = event["data"]?["object"], case let .int(amount)? = object["amount"] {
                    payment = (intent, amount, Self.token(object["currency"], max: 3) ?? "usd")
                }
                log.append("✅ Payment record created: \(intent)")
            }
        } else if !handledEvents.contains(type) {
            log.append("Unhandled event type: \(type) (\(id))")
        }
    }

    /// An identifier from a payload as the log may show it: letters, digits and `._:-`, at most
    /// `max` characters; nil for anything else.
    static func token(_ value: JSONValue?, max: Int = 100) -> String? {
        guard case let .string(text)? = value else { return nil }
        return token(text, max: max)
    }

    static func token(_ text: String, max: Int) -> String? {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._:-"))
        guard !text.isEmpty, text.count <= max, text.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else { return nil }
        return text
    }
}
