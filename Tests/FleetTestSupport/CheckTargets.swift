import Foundation

/// Real servers for the monitoring checks to probe, on loopback: Python's own HTTP server (plain and over TLS with a
/// self-signed certificate for 127.0.0.1 made by openssl) and a line server that greets and echoes, all in one
/// python3 process. Paths: `/ok` (200, `X-Probe: yes`), `/status/N`, `/slow` (200 after 400 ms), `/redirect`
/// (302 to `/ok`), `/loop` (302 to itself), `/json` (`{"status": "UP", "count": 3}`), `/drip` (200, its body in
/// three parts, each 100 ms after the one before it, the first 100 ms after the head).
public final class CheckTargets: Sendable {
    public let httpPort: Int
    public let httpsPort: Int
    public let linePort: Int
    /// The server's certificate (PEM), to trust as a CA file.
    public let certificate: String
    private let process: ChildProcess
    private let directory: URL

    static let script = #"""
        import http.server, json, socketserver, ssl, sys, threading, time

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def send(self, status, body, headers=()):
                self.send_response(status)
                for name, value in headers: self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                path = self.path
                if path == "/ok": self.send(200, b"hello agentfleet", [("X-Probe", "yes"), ("Content-Type", "text/plain")])
                elif path.startswith("/status/"): self.send(int(path[8:]), b"status " + path[8:].encode())
                elif path == "/slow": time.sleep(0.4); self.send(200, b"slow")
                elif path == "/redirect": self.send(302, b"", [("Location", "/ok")])
                elif path == "/loop": self.send(302, b"", [("Location", "/loop")])
                elif path == "/json": self.send(200, json.dumps({"status": "UP", "count": 3}).encode(), [("Content-Type", "application/json")])
                elif path == "/drip":
                    self.send_response(200); self.send_header("Content-Length", "30"); self.end_headers()
                    for part in range(3):
                        time.sleep(0.1); self.wfile.write(b"x" * 10); self.wfile.flush()
                elif path == "/headers": self.send(200, json.dumps(dict(self.headers)).encode())
                else: self.send(404, b"not found")
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                self.send(200, self.rfile.read(length))

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        class Lines(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 agentfleet ready\r\n")
                for line in self.rfile:
                    self.wfile.write(b"echo " + line)

        class LineServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True

        ports_file, certificate, key = sys.argv[1:4]
        plain = Server(("127.0.0.1", 0), Handler)
        secure = Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        lines = LineServer(("127.0.0.1", 0), Lines)
        for server in (plain, secure, lines):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        with open(ports_file + ".part", "w") as f:
            json.dump([plain.server_address[1], secure.server_address[1], lines.server_address[1]], f)
        import os; os.rename(ports_file + ".part", ports_file)
        threading.Event().wait()
        """#

    public init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-targets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("server.pem").path
        let key = directory.appendingPathComponent("server.key").path
        let openssl = try await runCommand(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "30", "-subj", "/CN=agentfleet-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        guard openssl.status == 0 else { throw Failure("openssl could not make a certificate: \(openssl.errors)") }
        let portsFile = directory.appendingPathComponent("ports.json")
        let script = directory.appendingPathComponent("targets.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script.path, portsFile.path, certificate, key]
        python.standardInput = FileHandle.nullDevice
        python.standardOutput = FileHandle.nullDevice
        process = try ChildProcess(starting: python)
        try await waitUntil(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: portsFile.path) }
        let ports = try JSONSerialization.jsonObject(with: Data(contentsOf: portsFile)) as? [Int] ?? []
        guard ports.count == 3 else { throw Failure("the check targets wrote no ports") }
        (httpPort, httpsPort, linePort) = (ports[0], ports[1], ports[2])
    }

    public func stop() async {
        _ = await process.kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
