/// The task executor the current work prefers, for the unstructured tasks it starts.
///
/// Child tasks inherit their parent's executor preference, unstructured tasks (`Task { }`) do not, and the runtime
/// offers no way to read the current preference: a task that binds its executor here lets the tasks it starts
/// (database operations bounded in time, for one) run where it runs, not on the global pool and back.
public enum PreferredExecutor {
    @TaskLocal public static var current: (any TaskExecutor)?
}
