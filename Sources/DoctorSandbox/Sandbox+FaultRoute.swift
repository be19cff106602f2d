import DoctorKit
import Foundation

extension Sandbox {
    /// The sandbox's control route: `GET` says which fault is injected, `POST {"fault": NAME|null}`
    /// switches it (`doctor demo --lift-fault` and `--set-fault` use it). Loopback only, as the
    /// whole sandbox is; it is no route of the service's, so its request log never shows it.
    public static let faultRoute = "/sandbox/fault"

    /// Answers `faultRoute`: 200 with `{"fault", "summary"}` (and `"previous"` after a switch),
    /// 400 for a body that names no fault, 405 for another method, 500 when the switch failed.
    func answerFaultRoute(_ request: ServerRequest) -> ServerResponse {
        switch request.method {
        case "GET", "HEAD":
            return Self.faultAnswer(fault, previous: nil)
        case "POST":
            let requested: SandboxFault?
            switch Self.requestedFault(request.body) {
            case let .failure(refusal): return Self.faultError(400, refusal.message)
            case let .success(fault): requested = fault
            }
            // The fault before this switch as the switch itself saw it, under its lock.
            let change: SandboxFaultSwitch
            do {
                change = try switchFault(to: requested)
            } catch {
                return Self.faultError(500, "the fault was not switched: \(error.description)")
            }
            return Self.faultAnswer(change.to, previous: .some(change.from))
        default:
            return ServerResponse.json(405, #"{"error":"use GET or POST"}"#, headers: [("Allow", "GET, POST")])
        }
    }

    /// The fault a `POST` body asks for: `{"fault": "NAME"}` or `{"fault": null}`.
    static func requestedFault(_ body: [UInt8]) -> Result<SandboxFault?, FaultRouteError> {
        let usage = #"the body must be JSON: {"fault": "NAME"} or {"fault": null}"#
        guard let json = JSONValue.parse(Data(body)), case .object = json, let value = json["fault"] else {
            return .failure(FaultRouteError(usage))
        }
        switch value {
        case .null: return .success(nil)
        case let .string(name):
            guard let fault = SandboxFault(name: name) else {
                // The name is clipped and escaped by the JSON encoder: nothing sent comes back raw.
                return .failure(FaultRouteError("no fault named \"\(String(name.prefix(64)))\""))
            }
            return .success(fault)
        default: return .failure(FaultRouteError(usage))
        }
    }

    /// `{"fault": …, "summary": …}`, with `"previous"` when a switch was asked for.
    static func faultAnswer(_ fault: SandboxFault?, previous: SandboxFault??) -> ServerResponse {
        var members: [(String, JSONValue)] = [
            ("fault", fault.map { .string($0.name) } ?? .null),
            ("summary", .string(fault?.summary ?? "the sandbox is healthy")),
        ]
        if let previous { members.append(("previous", previous.map { .string($0.name) } ?? .null)) }
        return .json(200, JSONValue.object(members).compactJSON)
    }

    static func faultError(_ status: Int, _ message: String) -> ServerResponse {
        .json(status, JSONValue.object([("error", .string(message))]).compactJSON)
    }
}

/// Why a control request was refused, as the route's `error` says it.
struct FaultRouteError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
