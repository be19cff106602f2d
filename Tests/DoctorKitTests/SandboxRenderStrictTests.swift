import DoctorKit
import Foundation
import Testing
@testable import DoctorSandbox

/// Issue 19, item 5: every stand-in route this change touches, walked against api-facts section 9,
/// so a client that leans on a lenient stand-in finds out here rather than against Render.
@Suite("Render stand-in strictness")
struct SandboxRenderStrictTests {
    /// Render's error body: an object with at most `id` and `message`, both strings, the message set.
    func isRenderError(_ answer: RenderAnswer, status: Int) -> Bool {
        guard answer.status == status, case let .object(members)? = answer.json else { return false }
        let allowed: Set<String> = ["id", "message"]
        return members.allSatisfy { allowed.contains($0.0) && $0.1.stringValue != nil } && answer.json?["message"]?.stringValue != nil
    }

    /// `/logs`' required parameters and a window of the last `hours` hours.
    func logQuery(_ probe: RenderProbe, hours: Int = 1) -> [(String, String)] {
        let now = nowMilliseconds()
        return [("ownerId", probe.ownerID), ("resource", probe.serviceID),
                ("startTime", StandInTime.format(milliseconds: now - hours * 3_600_000)), ("endTime", StandInTime.format(milliseconds: now))]
    }

    @Test("/logs: nextStartTime and nextEndTime on every page, the last one too, either direction and for another owner")
    func nextTimesAlways() throws {
        let probe = try RenderProbe()
        for direction in ["backward", "forward"] {
            var query = logQuery(probe, hours: 2) + [("direction", direction), ("limit", "5")]
            var pages = 0
            while pages < 50 {
                pages += 1
                let answer = probe.get("/logs", query)
                try #require(answer.status == 200, "\(answer.body)")
                let json = try #require(answer.json)
                let start = try #require(renderTime(json["nextStartTime"]), "page \(pages) \(direction): no nextStartTime")
                let end = try #require(renderTime(json["nextEndTime"]), "page \(pages) \(direction): no nextEndTime")
                #expect(start <= end)
                guard json["hasMore"] == .bool(true) else { break }
                query = query.filter { $0.0 != "startTime" && $0.0 != "endTime" }
                    + [("startTime", json["nextStartTime"]!.stringValue!), ("endTime", json["nextEndTime"]!.stringValue!)]
            }
            #expect(pages > 1, "\(direction): the window held more than one page")
        }
        let elsewhere = probe.get("/logs", [("ownerId", "tea-another"), ("resource", probe.serviceID)])
        #expect(elsewhere.json?["hasMore"] == .bool(false))
        #expect(elsewhere.json?["nextStartTime"]?.stringValue != nil && elsewhere.json?["nextEndTime"]?.stringValue != nil)
    }

    @Test("/logs: each documented filter is taken, once or as a list", arguments: [
        ("instance", "srv-x-1"), ("host", "payments-api.onrender.com"), ("statusCode", "200"), ("method", "GET"),
        ("level", "info"), ("type", "app"), ("text", "health"), ("path", "/api/health"),
    ])
    func logFilters(_ name: String, _ value: String) throws {
        let probe = try RenderProbe()
        let once = probe.get("/logs", logQuery(probe) + [(name, value)])
        #expect(once.status == 200, "\(name): \(once.body)")
        let twice = probe.get("/logs", logQuery(probe) + [(name, value), (name, value + "-other")])
        #expect(twice.status == 200, "\(name) repeated: \(twice.body)")
    }

    @Test("unknown query parameters are refused with 400 {id, message} on /logs, every metric and the notification settings")
    func unknownParameters() throws {
        let probe = try RenderProbe()
        let resource = [("resource", probe.serviceID)]
        let routes: [(String, [(String, String)])] = [
            ("/logs", logQuery(probe)), ("/metrics/memory", resource), ("/metrics/cpu", resource),
            ("/metrics/bandwidth", resource), ("/metrics/http-requests", resource),
            ("/notification-settings/owners/\(probe.ownerID)", []),
            ("/notification-settings/overrides/services/\(probe.serviceID)", []),
        ]
        for (path, query) in routes {
            #expect(probe.get(path, query).status == 200, "\(path) with its documented parameters")
            for stray in ["statuscode", "search", "serviceId"] {
                let refused = probe.get(path, query + [(stray, "x")])
                #expect(isRenderError(refused, status: 400), "\(path)?\(stray): \(refused.status) \(refused.body)")
                #expect(refused.json?["message"]?.stringValue?.contains(stray) == true)
            }
        }
        // CPU alone takes aggregationMethod.
        #expect(probe.get("/metrics/cpu", resource + [("aggregationMethod", "MAX")]).status == 200)
        #expect(isRenderError(probe.get("/metrics/memory", resource + [("aggregationMethod", "MAX")]), status: 400))
    }

    @Test("every metric series carries a string unit: memory and network I/O in bytes, CPU in cores, requests a count")
    func metricUnits() throws {
        let probe = try RenderProbe()
        let expected = ["memory": "bytes", "cpu": "cpu", "bandwidth": "bytes", "http-requests": "count"]
        for (metric, unit) in expected {
            let answer = probe.get("/metrics/\(metric)", [("resource", probe.serviceID)])
            #expect(answer.status == 200)
            try #require(!answer.items.isEmpty, "\(metric): no series")
            for series in answer.items {
                #expect(series["unit"] == .string(unit), "\(metric): \(series["unit"].map { "\($0)" } ?? "no unit")")
                #expect(series["labels"]?.arrayValue.allSatisfy { $0["field"]?.stringValue != nil && $0["value"]?.stringValue != nil } == true)
                let values = series["values"]?.arrayValue ?? []
                #expect(!values.isEmpty && values.allSatisfy { renderTime($0["timestamp"]) != nil && $0["value"]?.numberValue != nil })
            }
        }
        // About 3 kB a second: a steady hour is some 11 MB in and out.
        let bandwidth = probe.get("/metrics/bandwidth", [("resource", probe.serviceID)]).items.first?["values"]?.arrayValue ?? []
        let total = bandwidth.compactMap { $0["value"]?.numberValue }.reduce(0, +) / 1_000_000
        #expect((8...14).contains(total), "\(total) MB")
    }

    @Test("notification settings: the workspace's and the service's override in Render's shapes; 404 for another owner or service")
    func notificationSettings() throws {
        let probe = try RenderProbe()
        let owner = probe.get("/notification-settings/owners/\(probe.ownerID)")
        #expect(owner.status == 200)
        let settings = try #require(owner.json)
        #expect(settings["ownerId"]?.stringValue == probe.ownerID)
        #expect(settings["emailEnabled"] == .bool(true) && settings["slackEnabled"] == .bool(false))
        #expect(["all", "failure", "none"].contains(settings["notificationsToSend"]?.stringValue ?? ""))
        #expect(settings["previewNotificationsEnabled"] != nil)
        let override = try #require(probe.get("/notification-settings/overrides/services/\(probe.serviceID)").json)
        #expect(override["serviceId"]?.stringValue == probe.serviceID)
        #expect(override["notificationsToSend"] == .string("default"))
        #expect(override["previewNotificationsEnabled"] != nil)
        #expect(isRenderError(probe.get("/notification-settings/owners/tea-another"), status: 404))
        #expect(isRenderError(probe.get("/notification-settings/overrides/services/srv-another"), status: 404))
        #expect(probe.get("/notification-settings/owners/\(probe.ownerID)", key: "").status == 401)

        let muted = try RenderProbe(.notificationsOff)
        #expect(muted.get("/notification-settings/overrides/services/\(muted.serviceID)").json?["notificationsToSend"] == .string("none"))
        #expect(muted.get("/notification-settings/owners/\(muted.ownerID)").json?["notificationsToSend"] == .string("failure"))
    }

    @Test("/services routes: the documented parameters pass, any other is refused in Render's error shape")
    func servicesRoutes() throws {
        let probe = try RenderProbe()
        defer { probe.sandbox.stop() }
        let service = "/services/\(probe.serviceID)"
        #expect(probe.get(service).status == 200)
        #expect(isRenderError(probe.get(service, [("include", "all")]), status: 400))
        #expect(probe.get(service + "/deploys", [("status", "live"), ("limit", "20")]).status == 200)
        #expect(isRenderError(probe.get(service + "/deploys", [("sort", "asc")]), status: 400))
        #expect(probe.get(service + "/env-vars", [("limit", "20")]).status == 200)
        #expect(isRenderError(probe.get(service + "/env-vars", [("key", "DATABASE_URL")]), status: 400))
    }
}
