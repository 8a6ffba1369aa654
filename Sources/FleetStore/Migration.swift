/// The schema's history, declared once for both engines: each numbered step and what it adds. Applied in order, each
/// once, recorded in `afm_schema`. Each engine writes the SQL of every step (`Migration.all`), so a step cannot be
/// left out, numbered differently or described differently by one of them.
package enum SchemaStep: Int, CaseIterable, Sendable {
    case agentsAndTasks = 1
    case taskTypes
    case routes
    case schedules
    case serviceLevels
    case console

    package var summary: String {
        switch self {
        case .agentsAndTasks: "agents and tasks"
        case .taskTypes: "task types, time to live, leases, cancel"
        case .routes: "tasks routed to agents' locations"
        case .schedules: "schedules"
        case .serviceLevels: "success rules, run verdicts, roll-ups, incidents, webhooks"
        case .console: "console sessions; tasks by state and by type for its counts and filters"
        }
    }
}

/// One step of a store's schema in its engine's SQL.
package struct Migration: Sendable {
    package let step: SchemaStep
    package let statements: [String]

    package var version: Int { step.rawValue }
    package var summary: String { step.summary }

    /// Every step in order, each with the statements `sql` gives for it.
    package static func all(_ sql: (SchemaStep) -> [String]) -> [Migration] {
        SchemaStep.allCases.map { Migration(step: $0, statements: sql($0)) }
    }
}
