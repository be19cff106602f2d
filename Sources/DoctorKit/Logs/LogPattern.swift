/// A log line to count, as a runbook defines it: the text that identifies it, what it means (the
/// guide's words) and the counts from which the step warns or fails.
public struct LogPattern: Sendable, Equatable {
    /// The pattern's id, unique in its step (`unhandled`), named by `success_rate` and `reconciliation`.
    public var id: String
    /// The texts that identify the line, matched byte for byte; any one of them counts the line once.
    public var texts: [String]
    /// What the line means, shown as the hint when it was seen.
    public var meaning: String
    /// From this many lines on the step warns; nil: counted only.
    public var warn: Int?
    /// From this many lines on the step fails; nil: never fails on its own.
    public var fail: Int?

    /// A pattern with the given parts.
    public init(id: String, texts: [String], meaning: String, warn: Int? = nil, fail: Int? = nil) {
        self.id = id
        self.texts = texts
        self.meaning = meaning
        self.warn = warn
        self.fail = fail
    }

    /// How summaries name the pattern: its text in quotes, or its id when it has several texts.
    var label: String { texts.count == 1 ? "\"\(texts[0])\"" : id }

    /// The status `count` lines give this pattern on its own.
    func status(for count: Int) -> Status {
        if let fail, count >= fail { return .fail }
        if let warn, count >= warn { return .warn }
        return .pass
    }

    /// The strings in a log line that mark it as the doctor's own: its probe events' id prefix and
    /// types (see `WebhookSecretCheck` and the runbooks' route check) and its HTTP User-Agent.
    static let ownProbeMarkers = [
        "evt_doctor_", "doctor.probe", "doctor.route_check",
        "doctor/\(DoctorVersion.current)", "userAgent=\"doctor/", "User-Agent: doctor/",
    ]
}
