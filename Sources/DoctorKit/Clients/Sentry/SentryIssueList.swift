import Foundation

/// The unresolved issues of one project from the organization route
/// (`GET /organizations/{org}/issues/?project=ID`, api-facts section 9; the per-project route is
/// deprecated), gathered over Sentry's cursor pages up to a bound.
public struct SentryIssueList: Sendable {
    /// The issues in Sentry's order, every page read.
    public var issues: [SentryIssue]
    /// How many pages were read.
    public var pages: Int
    /// Whether Sentry had more pages than the bound let the doctor read.
    public var truncated: Bool

    /// What to ask for.
    public struct Query: Sendable {
        /// The organization's slug or id.
        public var organization: String
        /// The project's numeric id (the route filters by id).
        public var projectID: String
        /// Sentry's search (`is:unresolved`).
        public var search = "is:unresolved"
        /// `date`, `new`, `freq`, `user`, …
        public var sort = "freq"
        /// The window issues must have events in, and the period of their stats series (`24h`, `14d`).
        public var period = "24h"
        /// Issues per page, at most Sentry's 100.
        public var limit = 100
        /// Pages read at most, so one noisy project cannot hold a run.
        public var maxPages = 3

        /// A query for `projectID` of `organization`, with the defaults above.
        public init(organization: String, projectID: String) {
            self.organization = organization
            self.projectID = projectID
        }

        /// The query string of one page.
        func items(cursor: String?) -> [(String, String)] {
            var items = [("project", projectID), ("query", search), ("sort", sort), ("statsPeriod", period),
                         ("groupStatsPeriod", period), ("limit", String(min(100, max(1, limit))))]
            if let cursor { items.append(("cursor", cursor)) }
            return items
        }
    }
}

extension SentryClient {
    /// Reads `query`'s issues, following `Link` cursors while Sentry says there are results, up
    /// to `query.maxPages` pages.
    public func issues(_ query: SentryIssueList.Query, deadline: ContinuousClock.Instant) async throws(SentryAPIError) -> SentryIssueList {
        let path = "/organizations/\(SentryClient.pathComponent(query.organization))/issues/"
        var list = SentryIssueList(issues: [], pages: 0, truncated: false)
        var cursor: String?
        repeat {
            let response = try await get(path, query: query.items(cursor: cursor), deadline: deadline)
            guard let page = SentryIssue.list(response.json) else {
                throw .invalidResponse(status: response.status, detail: "expected a list of issues")
            }
            list.issues += page
            list.pages += 1
            cursor = response.link.next
        } while cursor != nil && list.pages < query.maxPages
        list.truncated = cursor != nil
        return list
    }

    /// The numeric id of `project`: itself when it is one (a DSN's project always is), else the
    /// `id` of `GET /projects/{org}/{project}/`, since the organization route filters by id.
    public func projectID(organization: String, project: String, deadline: ContinuousClock.Instant) async throws(SentryAPIError) -> String {
        if !project.isEmpty, project.allSatisfy({ $0.isASCII && $0.isNumber }) { return project }
        let response = try await get(
            "/projects/\(SentryClient.pathComponent(organization))/\(SentryClient.pathComponent(project))/", deadline: deadline)
        guard let id = response.json.string("id") ?? response.json.int("id").map(String.init),
              !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw .invalidResponse(status: response.status, detail: "expected the project with its numeric id") }
        return id
    }

    /// One path segment: a slug or id with anything that would change the path percent-encoded.
    static func pathComponent(_ text: String) -> String {
        RenderServiceCheck.Probe.pathComponent(text)
    }
}
