/// The web console's files, compiled into the binary: one page (`index.html`) and the modules,
/// styles and images it loads from `/console/<name>`. Nothing is fetched from anywhere else.
public enum ConsoleAssets {
    /// A file by name, with its content type; nil for a name the console does not have.
    public static func file(named name: String) -> (bytes: [UInt8], contentType: String)? {
        guard let bytes = files[name] else { return nil }
        return (bytes, contentType(of: name))
    }

    /// Every file's name (the tests check that each file of the folder is here).
    public static var names: [String] { Array(files.keys) }

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        if name.hasSuffix(".png") { return "image/png" }
        return "application/octet-stream"
    }

    // SwiftPM names each embedded file after its name alone, so the folder is flat and its
    // names are unique; a new file must be listed here.
    static let files: [String: [UInt8]] = [
        "api.js": PackageResources.api_js,
        "app.js": PackageResources.app_js,
        "chart.js": PackageResources.chart_js,
        "dom.js": PackageResources.dom_js,
        "favicon.svg": PackageResources.favicon_svg,
        "forms.js": PackageResources.forms_js,
        "index.html": PackageResources.index_html,
        "router.js": PackageResources.router_js,
        "rules.js": PackageResources.rules_js,
        "state.js": PackageResources.state_js,
        "styles.css": PackageResources.styles_css,
        "views-analytics.js": PackageResources.views_analytics_js,
        "views-applications.js": PackageResources.views_applications_js,
        "views-attributes.js": PackageResources.views_attributes_js,
        "views-campaigns.js": PackageResources.views_campaigns_js,
        "views-coupons.js": PackageResources.views_coupons_js,
        "views-customers.js": PackageResources.views_customers_js,
        "views-loyalty.js": PackageResources.views_loyalty_js,
        "views-priority.js": PackageResources.views_priority_js,
        "views-rules.js": PackageResources.views_rules_js,
        "views-testcart.js": PackageResources.views_testcart_js,
        "views-webhooks.js": PackageResources.views_webhooks_js,
        "rights.js": PackageResources.rights_js,
        "views-account.js": PackageResources.views_account_js,
        "views-changes.js": PackageResources.views_changes_js,
        "views-costs.js": PackageResources.views_costs_js,
        "views-team.js": PackageResources.views_team_js,
    ]
}
