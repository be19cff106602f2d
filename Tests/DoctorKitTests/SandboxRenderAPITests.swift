import DoctorKit
import Foundation
import Testing
@testable import DoctorSandbox

/// One answer of the sandbox, its body parsed when it is JSON.
struct RenderAnswer {
    var status: Int
    var headers: [(String, String)]
    var body: String
    var json: JSONValue? { JSONValue.parse(Data(body.utf8)) }
    var items: [JSONValue] { if case let .array(items)? = json { items } else { [] } }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Talks to a sandbox's Render stand-in the way the doctor's client will.
struct RenderProbe {
    let sandbox: Sandbox

    init(_ fault: SandboxFault? = nil) throws {
        sandbox = Sandbox(fault: fault)
        try sandbox.start()
    }

    var environment: [String: String] { sandbox.environment }
    var serviceID: String { environment["RENDER_SERVICE_ID"]! }

    /// `GET /render/v1<path>` with the sandbox's key (or `key`, or none when `key` is "").
    func get(_ path: String, _ query: [(String, String)] = [], key: String? = nil) -> RenderAnswer {
        let key = key ?? environment["RENDER_API_KEY"]!
        var query1: [String: String] = [:]
        for (name, value) in query { query1[name] = value }
        let request = ServerRequest(method: "GET", path: "/render/v1" + path, query: query1, queryItems: query,
                                    headers: key.isEmpty ? [] : [("Authorization", "Bearer \(key)")])
        let response = sandbox.handle(request)
        return RenderAnswer(status: response.status, headers: response.headers, body: String(decoding: response.body, as: UTF8.self))
    }

    /// A delivery to the payment API's webhook endpoint, signed with `secret` (the local one by default).
    @discardableResult
    func deliver(_ body: String, secret: String? = nil, header: String? = nil) -> RenderAnswer {
        let bytes = Array(body.utf8)
        let signature = header ?? StripeSignature.header(secret: secret ?? environment["STRIPE_WEBHOOK_SECRET"]!,
                                                         timestamp: Int(Date().timeIntervalSince1970), payload: bytes)
        let headers = [("Content-Type", "application/json")] + (signature.isEmpty ? [] : [("Stripe-Signature", signature)])
        let response = sandbox.handle(ServerRequest(method: "POST", path: "/api/webhooks/stripe", headers: headers, body: bytes))
        return RenderAnswer(status: response.status, headers: response.headers, body: String(decoding: response.body, as: UTF8.self))
    }

    var ownerID: String { self.get("/services/\(serviceID)").json?["ownerId"]?.stringValue ?? "" }

    /// Every log line from `hoursBack` hours ago to now, paged `limit` at a time through
    /// nextStartTime/nextEndTime; with the number of pages it took.
    func allLogs(hoursBack: Double = 72, limit: Int = 100, direction: String? = nil, _ extra: [(String, String)] = []) -> (pages: Int, logs: [JSONValue]) {
        let now = Int(Date().timeIntervalSince1970 * 1000) + 1000
        var start = StandInTime.format(milliseconds: now - Int(hoursBack * 3_600_000))
        var end = StandInTime.format(milliseconds: now)
        var logs: [JSONValue] = []
        let owner = ownerID
        for page in 1...500 {
            var query = [("ownerId", owner), ("resource", serviceID), ("startTime", start), ("endTime", end), ("limit", "\(limit)")] + extra
            if let direction { query.append(("direction", direction)) }
            let answer = get("/logs", query)
            guard answer.status == 200, let json = answer.json else { return (page, logs) }
            if case let .array(items)? = json["logs"] { logs += items }
            guard json["hasMore"] == .bool(true), let nextStart = json["nextStartTime"]?.stringValue,
                  let nextEnd = json["nextEndTime"]?.stringValue
            else { return (page, logs) }
            start = nextStart
            end = nextEnd
        }
        return (500, logs)
    }

    /// The messages of `allLogs`.
    func messages(hoursBack: Double = 72, _ extra: [(String, String)] = []) -> [String] {
        allLogs(hoursBack: hoursBack, extra).logs.compactMap { $0["message"]?.stringValue }
    }
}

extension JSONValue {
    var stringValue: String? { if case let .string(text) = self { text } else { nil } }
    var numberValue: Double? {
        switch self {
        case let .int(number): Double(number)
        case let .double(number): number
        default: nil
        }
    }
    var arrayValue: [JSONValue] { if case let .array(items) = self { items } else { [] } }
}

/// Milliseconds since the epoch of an RFC 3339 time the stand-in wrote.
func renderTime(_ value: JSONValue?) -> Int? { value?.stringValue.flatMap(StandInTime.parse) }

func nowMilliseconds() -> Int { Int(Date().timeIntervalSince1970 * 1000) }

@Suite("Sandbox Render API")
struct SandboxRenderAPITests {
    @Test("the environment carries RENDER_API_KEY (rnd_ + 32) and RENDER_API_BASE, served over HTTP there")
    func environmentAndHTTP() throws {
        let probe = try RenderProbe()
        let other = try RenderProbe()
        let key = try #require(probe.environment["RENDER_API_KEY"])
        #expect(key.range(of: "^rnd_[A-Za-z0-9]{32}$", options: .regularExpression) != nil)
        #expect(other.environment["RENDER_API_KEY"] != key)
        let base = try #require(probe.environment["RENDER_API_BASE"])
        #expect(base == "http://127.0.0.1:\(probe.sandbox.port)/render/v1")
        #expect(base == probe.sandbox.renderAPIBase)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        // The key goes in through a header file on stdin, not the command line.
        process.arguments = ["-sS", "--max-time", "5", "-H", "@-", "-w", "\n%{http_code}", "\(base)/services/\(probe.serviceID)"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("Authorization: Bearer \(key)\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.last == "200")
        let json = JSONValue.parse(Data(lines.dropLast().joined(separator: "\n").utf8))
        #expect(json?["id"]?.stringValue == probe.serviceID)
    }

    @Test("GET /services/{id} is a web service in Render's shape, its URL the payment API's")
    func service() throws {
        let probe = try RenderProbe()
        let answer = probe.get("/services/\(probe.serviceID)")
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type")?.hasPrefix("application/json") == true)
        let json = try #require(answer.json)
        #expect(json["id"]?.stringValue == probe.serviceID)
        #expect(json["type"] == .string("web_service"))
        #expect(json["name"] == .string("payments-api") && json["slug"] == .string("payments-api"))
        #expect(json["suspended"] == .string("not_suspended") && json["suspenders"] == .array([]))
        #expect(json["ownerId"]?.stringValue?.range(of: "^tea-[a-z0-9]{20}$", options: .regularExpression) != nil)
        #expect(json["repo"]?.stringValue?.hasPrefix("https://github.com/") == true && json["branch"] == .string("main"))
        #expect(json["autoDeploy"] == .string("yes"))
        #expect(json["dashboardUrl"] == .string("https://dashboard.render.com/web/\(probe.serviceID)"))
        #expect(renderTime(json["createdAt"]) != nil && renderTime(json["updatedAt"]) != nil)
        let details = try #require(json["serviceDetails"])
        #expect(details["url"] == .string(probe.sandbox.apiURL))
        #expect(details["healthCheckPath"] == .string("/api/health"))
        #expect(details["numInstances"] == .int(1))
        #expect(details["region"] == .string("oregon") && details["runtime"] == .string("node"))
        #expect(details["plan"]?.stringValue?.isEmpty == false)
    }

    @Test("401 with Render's body without the key or with another; 404 for another service or path")
    func refusals() throws {
        let probe = try RenderProbe()
        for key in ["", "rnd_" + String(repeating: "x", count: 32)] {
            let answer = probe.get("/services/\(probe.serviceID)", key: key)
            #expect(answer.status == 401)
            #expect(answer.json?["message"] == .string("unauthorized"))
            #expect(answer.json?["id"]?.stringValue?.isEmpty == false)
            #expect(answer.header("Ratelimit-Limit") == "100")
        }
        for path in ["/services/srv-someoneelse12345678", "/services/srv-someoneelse12345678/deploys", "/services/srv-x/env-vars"] {
            let answer = probe.get(path)
            #expect(answer.status == 404, "\(path)")
            #expect(answer.body == #"{"message":"service not found"}"#)
        }
        #expect(probe.get("/nothing").status == 404)
        let post = probe.sandbox.handle(ServerRequest(method: "POST", path: "/render/v1/services/\(probe.serviceID)/deploys",
                                                      headers: [("Authorization", "Bearer \(probe.environment["RENDER_API_KEY"]!)")]))
        #expect(post.status == 405)
    }

    @Test("deploys: the live one finished about 2 days ago, the older are deactivated, cursors page to the end")
    func deploys() throws {
        let probe = try RenderProbe()
        let path = "/services/\(probe.serviceID)/deploys"
        let first = probe.get(path)
        #expect(first.status == 200)
        #expect(first.items.count == 20)
        let deploy = try #require(first.items.first?["deploy"])
        #expect(deploy["id"]?.stringValue?.hasPrefix("dep-") == true)
        #expect(deploy["status"] == .string("live"))
        #expect(deploy["trigger"]?.stringValue?.isEmpty == false)
        #expect(deploy["commit"]?["id"]?.stringValue?.range(of: "^[0-9a-f]{40}$", options: .regularExpression) != nil)
        #expect(deploy["commit"]?["message"]?.stringValue?.isEmpty == false && renderTime(deploy["commit"]?["createdAt"]) != nil)
        let finished = try #require(renderTime(deploy["finishedAt"]))
        let age = Double(nowMilliseconds() - finished) / 86_400_000
        #expect(age > 1.9 && age < 2.2)
        for field in ["createdAt", "startedAt", "updatedAt"] { #expect(renderTime(deploy[field]) != nil, "\(field)") }
        #expect(first.items.dropFirst().allSatisfy { $0["deploy"]?["status"] == .string("deactivated") })

        let cursor = try #require(first.items.last?["cursor"]?.stringValue)
        let second = probe.get(path, [("cursor", cursor)])
        #expect(second.items.count == 5)
        let end = probe.get(path, [("cursor", second.items.last?["cursor"]?.stringValue ?? "")])
        #expect(end.status == 200 && end.items.isEmpty)
        let ids = (first.items + second.items).compactMap { $0["deploy"]?["id"]?.stringValue }
        #expect(Set(ids).count == 25)
        // Newest first all the way down.
        let created = (first.items + second.items).compactMap { renderTime($0["deploy"]?["createdAt"]) }
        #expect(created == created.sorted(by: >))

        var pages = 0, seen = 0
        var next: String?
        repeat {
            let page = probe.get(path, [("limit", "10")] + (next.map { [("cursor", $0)] } ?? []))
            pages += 1
            seen += page.items.count
            next = page.items.count == 10 ? page.items.last?["cursor"]?.stringValue : nil
        } while next != nil && pages < 10
        #expect(pages == 3 && seen == 25)
        #expect(probe.get(path, [("status", "live")]).items.count == 1)
        #expect(probe.get(path, [("status", "live"), ("status", "deactivated")]).items.count == 20)
        #expect(probe.get(path, [("limit", "0")]).status == 400 && probe.get(path, [("limit", "101")]).status == 400)
        #expect(probe.get(path, [("cursor", "nonsense")]).status == 400)
        let recent = StandInTime.format(milliseconds: nowMilliseconds() - 3 * 86_400_000)
        #expect(probe.get(path, [("createdAfter", recent)]).items.count == 1)
        let single = probe.get(path + "/" + (deploy["id"]?.stringValue ?? ""))
        #expect(single.json?["id"] == deploy["id"])
    }

    @Test("env-vars: the deployed service's variables, the sandbox's values, paged by cursor")
    func envVars() throws {
        let probe = try RenderProbe()
        let path = "/services/\(probe.serviceID)/env-vars"
        let answer = probe.get(path)
        #expect(answer.status == 200)
        var values: [String: String] = [:]
        for item in answer.items {
            #expect(item["cursor"]?.stringValue?.isEmpty == false)
            if let key = item["envVar"]?["key"]?.stringValue { values[key] = item["envVar"]?["value"]?.stringValue }
        }
        #expect(values.keys.sorted() == ["DATABASE_URL", "NODE_ENV", "PORT", "SENTRY_DSN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
        for name in ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL", "SENTRY_DSN"] {
            #expect(values[name] == probe.environment[name], "\(name)")
        }
        #expect(values["NODE_ENV"] == "production" && values["PORT"] == "10000")
        let first = probe.get(path, [("limit", "4")])
        let second = probe.get(path, [("limit", "4"), ("cursor", first.items.last?["cursor"]?.stringValue ?? "")])
        #expect(first.items.count == 4 && second.items.count == 2)
    }

    @Test("metrics: memory in bytes, flat about 150 MB; CPU in cores, 0.05-0.2; the window and resolution honoured")
    func metrics() throws {
        let probe = try RenderProbe()
        let memory = probe.get("/metrics/memory", [("resource", probe.serviceID)])
        #expect(memory.status == 200)
        let series = try #require(memory.items.first)
        #expect(memory.items.count == 1)
        #expect(series["unit"] == .string("bytes"))
        #expect(series["labels"]?.arrayValue.contains { $0["field"] == .string("resource") && $0["value"] == .string(probe.serviceID) } == true)
        let points = series["values"]?.arrayValue ?? []
        #expect((60...61).contains(points.count))
        let megabytes = points.compactMap { $0["value"]?.numberValue }.map { $0 / 1_000_000 }
        #expect(megabytes.count == points.count && megabytes.allSatisfy { (140...160).contains($0) })
        #expect(Set(megabytes.map { Int($0) }).count > 3, "a little noise")
        let times = points.compactMap { renderTime($0["timestamp"]) }
        #expect(times == times.sorted() && times.allSatisfy { $0 % 60_000 == 0 })

        let cpu = probe.get("/metrics/cpu", [("resource", probe.serviceID), ("resolutionSeconds", "300")])
        let cores = cpu.items.first?["values"]?.arrayValue.compactMap { $0["value"]?.numberValue } ?? []
        #expect(cpu.items.first?["unit"] == .string("cpu"))
        #expect((12...13).contains(cores.count) && cores.allSatisfy { (0.05...0.2).contains($0) })

        // Epoch seconds and RFC 3339 both read; the same points twice.
        let end = nowMilliseconds() / 1000 - 600
        let epoch = probe.get("/metrics/memory", [("resource", probe.serviceID), ("startTime", "\(end - 1800)"), ("endTime", "\(end)")])
        let rfc = probe.get("/metrics/memory", [("resource", probe.serviceID), ("startTime", StandInTime.format(milliseconds: (end - 1800) * 1000)),
                                               ("endTime", StandInTime.format(milliseconds: end * 1000))])
        #expect(epoch.body == rfc.body && (30...31).contains(epoch.items.first?["values"]?.arrayValue.count ?? 0))
        #expect(probe.get("/metrics/memory").status == 400)
        #expect(probe.get("/metrics/memory", [("resource", probe.serviceID), ("startTime", "yesterday")]).status == 400)
        #expect(probe.get("/metrics/memory", [("resource", "srv-another")]).body == "[]")
    }

    @Test("every answer counts the rate limit down, and the 101st in a minute gets 429")
    func rateLimit() throws {
        let probe = try RenderProbe()
        var remaining: [Int] = []
        for index in 0..<100 {
            let answer = probe.get(index % 2 == 0 ? "/services/\(probe.serviceID)" : "/services/\(probe.serviceID)/deploys")
            try #require(answer.status == 200)
            #expect(answer.header("Ratelimit-Limit") == "100")
            #expect((1...60).contains(Int(answer.header("Ratelimit-Reset") ?? "") ?? 0))
            remaining.append(Int(answer.header("Ratelimit-Remaining") ?? "") ?? -1)
        }
        #expect(remaining == Array((0..<100).reversed()))
        let refused = probe.get("/services/\(probe.serviceID)")
        #expect(refused.status == 429)
        #expect(refused.json?["message"] == .string("rate limit exceeded"))
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 > 0)
    }
}
