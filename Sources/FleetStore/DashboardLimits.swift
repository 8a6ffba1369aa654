/// How much the dashboard shows, so that it stays fast on a database with millions of tasks.
public struct DashboardLimits: Sendable {
    public var unassignedTasks: Int
    public var agents: Int
    public var tasksPerAgent: Int

    public init(unassignedTasks: Int = 100, agents: Int = 100, tasksPerAgent: Int = 20) {
        self.unassignedTasks = unassignedTasks
        self.agents = agents
        self.tasksPerAgent = tasksPerAgent
    }
}
