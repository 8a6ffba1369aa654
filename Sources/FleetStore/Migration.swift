/// One numbered step of a store's schema. Steps are applied in order, each once, recorded in `afm_schema`.
package struct Migration: Sendable {
    package let version: Int
    package let summary: String
    package let statements: [String]

    package init(version: Int, summary: String, statements: [String]) {
        self.version = version
        self.summary = summary
        self.statements = statements
    }
}
