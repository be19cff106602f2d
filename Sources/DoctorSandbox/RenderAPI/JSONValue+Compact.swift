import DoctorKit

extension JSONValue {
    /// The value as compact JSON text, keys in the order given, as Render's API writes it.
    var compactJSON: String {
        switch self {
        case .null: "null"
        case let .bool(flag): flag ? "true" : "false"
        case let .int(number): String(number)
        case let .double(number): number.isFinite ? String(number) : "0"
        case let .string(text): SandboxStripeAPI.quoted(text)
        case let .array(items): "[" + items.map(\.compactJSON).joined(separator: ",") + "]"
        case let .object(members):
            "{" + members.map { SandboxStripeAPI.quoted($0.0) + ":" + $0.1.compactJSON }.joined(separator: ",") + "}"
        }
    }
}
