import CZlib
import NIOCore
import NIOHTTP1

/// gzip for answers a client asks to have compressed (`Accept-Encoding: gzip`), when they are text of some
/// kilobytes: pages, scripts, JSON and the metrics. Smaller answers (most agent polls) go as they are, where
/// compressing costs more than it saves.
enum ResponseCompression {
    static let minimumSize = 1024

    /// Whether a body of this type is text that compresses (and so varies by `Accept-Encoding`).
    static func isCompressible(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/javascript")
            || type.hasPrefix("image/svg+xml") || type.hasSuffix("+json")
    }

    /// Whether `Accept-Encoding` takes gzip: named (or `*`) with a q-value above 0.
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        var gzip: Double?
        var any: Double?
        for value in headers[canonicalForm: "accept-encoding"] {
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" { gzip = quality } else if coding == "*" { any = quality }
        }
        return (gzip ?? any ?? 0) > 0
    }

    /// The gzip stream of `buffer`; nil when zlib fails (the answer then goes uncompressed).
    static func gzip(_ buffer: ByteBuffer) -> ByteBuffer? {
        var stream = z_stream()
        // 15 window bits + 16: a gzip header and trailer rather than zlib's.
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        var input = Array(buffer.readableBytesView)
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return ByteBuffer(bytes: output[0..<Int(stream.total_out)])
    }
}
