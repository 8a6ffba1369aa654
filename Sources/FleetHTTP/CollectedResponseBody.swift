import Hummingbird
import NIOCore

/// Gathers a response body into one buffer, so that the whole answer is written in a single hop to the event loop.
///
/// Every AFM answer is one buffer already (JSON, the dashboard page, the metrics text); a body written in parts is
/// joined, and one whose writer fails ends where it failed (the failure is the route's, and its content length
/// then describes what was gathered).
enum CollectedResponseBody {
    static func bytes(of body: ResponseBody) async -> ByteBuffer {
        let collector = Collector()
        try? await body.write(collector)
        return collector.storage.buffer
    }

    /// The writer is consumed by `ResponseBody.write`, so what it gathers lives in a box the caller keeps.
    private final class Storage {
        var buffer = ByteBuffer()
    }

    private struct Collector: ResponseBodyWriter {
        let storage = Storage()

        mutating func write(_ buffer: ByteBuffer) async throws {
            if storage.buffer.readableBytes == 0 {
                storage.buffer = buffer
            } else {
                var buffer = buffer
                storage.buffer.writeBuffer(&buffer)
            }
        }

        mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
            for buffer in buffers { try await write(buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
