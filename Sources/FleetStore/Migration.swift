/// One numbered step of a store's schema. Steps are applied in order, each once, recorded in `afm_schema`.
struct Migration: Sendable {
    let version: Int
    let summary: String
    let statements: [String]
}
