import FleetStore
import Synchronization

/// Runs requests of one kind that arrive together as one statement. Up to `concurrentBatches` batches run at a time;
/// a request that finds them all busy waits, and when a batch ends, everything waiting by then goes as the next one.
/// There is no timer: alone, a request runs at once, as before; under load a statement (a round trip, a commit)
/// serves many requests.
///
/// No task is started for a batch: the first request of a batch runs it in its own task, then hands the next batch to
/// the first request waiting in it.
final class StatementCoalescer<Request: Sendable, Answer: Sendable>: Sendable {
    /// Answers in the order of the requests, one for each.
    typealias Execute = @Sendable ([Request]) async throws -> [Result<Answer, any Error>]

    private enum Turn: Sendable {
        case answered(Result<Answer, any Error>)
        /// Run this batch; the caller is its first entry.
        case lead([Waiting])
    }

    private struct Waiting: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State: Sendable {
        var queue: [Waiting] = []
        var running = 0
    }

    private let state = Mutex(State())
    private let concurrentBatches: Int
    private let maximumBatch: Int
    private let execute: Execute

    init(concurrentBatches: Int, maximumBatch: Int, execute: @escaping Execute) {
        precondition(concurrentBatches > 0 && maximumBatch > 0)
        self.concurrentBatches = concurrentBatches
        self.maximumBatch = maximumBatch
        self.execute = execute
    }

    func run(_ request: Request) async throws -> Answer {
        let turn = await withCheckedContinuation { continuation in
            let batch: [Waiting]? = state.withLock { state in
                state.queue.append(Waiting(request: request, continuation: continuation))
                guard state.running < concurrentBatches else { return nil }
                state.running += 1
                return take(from: &state)
            }
            // This request leads a batch when one could start; the batch begins with the oldest waiting request,
            // which is this one whenever nothing else was waiting.
            if let batch { batch[0].continuation.resume(returning: .lead(batch)) }
        }
        switch turn {
        case .answered(let result):
            return try result.get()
        case .lead(let batch):
            let results: [Result<Answer, any Error>]
            do {
                results = try await execute(batch.map(\.request))
                precondition(results.count == batch.count, "a batch answers every request")
            } catch {
                results = Array(repeating: .failure(error), count: batch.count)
            }
            for (waiting, result) in zip(batch.dropFirst(), results.dropFirst()) {
                waiting.continuation.resume(returning: .answered(result))
            }
            let next: [Waiting]? = state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.running -= 1
                    return nil
                }
                return take(from: &state)
            }
            if let next { next[0].continuation.resume(returning: .lead(next)) }
            return try results[0].get()
        }
    }

    private func take(from state: inout State) -> [Waiting] {
        let count = min(state.queue.count, maximumBatch)
        defer { state.queue.removeFirst(count) }
        return Array(state.queue.prefix(count))
    }
}
