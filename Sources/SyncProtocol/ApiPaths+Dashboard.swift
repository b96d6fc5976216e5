extension ApiPaths {
    /// The web dashboard's pages (HTML for people; `protocol/openapi.yaml`, tag `dashboard`).
    public static let dashboard = "/dashboard"
    public static let dashboardLogin = "/dashboard/login"
    public static let dashboardLogout = "/dashboard/logout"
    /// Server-sent events: `event: sync` with the court whose push was stored.
    public static let dashboardEvents = "/dashboard/events"
    public static let dashboardCourt = "/dashboard/court/{court}"
    public static let dashboardDepartment = "/dashboard/dept/{dept}"
    public static let dashboardIndicator = "/dashboard/indicator/{indicator}"
    public static let dashboardAccountability = "/dashboard/accountability"
    public static let dashboardSync = "/dashboard/sync"
    /// 意见建议 not closed, per responsible department (`?on=YYYY-MM-DD`).
    public static let dashboardSuggestions = "/dashboard/suggestions"
    /// 考核 scores of a period, ranked, with each indicator's contribution (`?period=`).
    public static let dashboardScores = "/dashboard/scores"
    public static let dashboardBulletins = "/dashboard/bulletins"
    /// `{file}` is `<period>.html` or `<period>.md`.
    public static let dashboardBulletin = "/dashboard/bulletins/{kind}/{file}"

    /// (method, path) of every dashboard route the hub serves.
    public static let dashboardRoutes: [(method: String, path: String)] = [
        ("GET", dashboard), ("GET", dashboardLogin), ("POST", dashboardLogin), ("POST", dashboardLogout), ("GET", dashboardEvents),
        ("GET", dashboardCourt), ("GET", dashboardDepartment), ("GET", dashboardIndicator), ("GET", dashboardAccountability),
        ("GET", dashboardSync), ("GET", dashboardBulletins), ("GET", dashboardBulletin),
        ("GET", dashboardSuggestions), ("GET", dashboardScores),
    ]
}
