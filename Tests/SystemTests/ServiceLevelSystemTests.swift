import FleetTestSupport
import FleetWebhooks
import Foundation
import JSON
import Testing

/// Service levels end to end: a real service that fails for a while, checked every second from two places by real
/// agents held on one `afm` process while another makes the slots, the summary, the incident and its webhook.
@Suite("Service levels", .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
struct ServiceLevelSystemTests {
    /// A local HTTP server started with `python3`: the checked service answers the status written in its file; the
    /// webhook receiver appends each request (headers and body) to its file as a JSON line and answers 204.
    static let serviceScript = #"""
        import http.server, json, sys
        port, path = int(sys.argv[1]), sys.argv[2]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = int(open(path).read().strip() or "200")
                self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with open(path, "a") as log:
                    log.write(json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode()}) + "\n")
                self.send_response(204); self.end_headers()
            def log_message(self, *args): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
        """#

    static func python(port: Int, file: URL) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", serviceScript, String(port), file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return try ChildProcess(starting: process)
    }

    static func timestamp(_ date: Date) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64(date.timeIntervalSince1970 * 1_000_000))
    }

    @Test("200 → 500 for 10 s → 200 from FI and SE: the summary matches the runs one by one, one incident as long as the outage, both events delivered signed to a receiver that was down for the first minute")
    func outageBecomesOneIncident() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sla-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let statusFile = root.appendingPathComponent("status")
        try "200".write(to: statusFile, atomically: true, encoding: .utf8)
        let servicePort = try freeLoopbackPort()
        let service = try Self.python(port: servicePort, file: statusFile)
        defer { service.signal(SIGTERM) }
        // Held (bound, not listening: connections are refused) until the receiver starts, so that no other test's
        // server takes the port while the deliveries are being retried.
        var receiverReservation: LoopbackPort? = try LoopbackPort()
        let receiverPort = receiverReservation!.port
        let receiverLog = root.appendingPathComponent("received.jsonl")
        let secret = "a-webhook-secret-of-some-length"

        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let environment = ["AFM_DB_URI": uri, "LOG_LEVEL": "INFO", "AGENT_RETURN_TIME": "1", "WEBHOOK_MAX_BACKOFF": "5"]
        let maker = try AFMProcess(environment: environment)
        defer { maker.requestStop() }
        try await maker.waitUntilServing()
        let holder = try AFMProcess(environment: environment)
        defer { holder.requestStop() }
        try await holder.waitUntilServing()
        let agents = try ["FI/01", "SE/01"].map { place in
            try AgentProcess(
                afm: holder.baseURL, stateDirectory: root.appendingPathComponent("state-\(place.prefix(2))"), arguments: ["--location", place, "-x", "2"])
        }
        defer { for agent in agents { agent.signal(SIGTERM) } }

        let (webhookStatus, _) = try await HTTP.put(
            maker.baseURL.appendingPathComponent("v2/webhooks/pager"),
            json: #"{"url": "http://127.0.0.1:\#(receiverPort)/hook", "secret": "\#(secret)", "events": ["incident.opened", "incident.resolved"]}"#)
        #expect(webhookStatus == 201)
        let schedule: JSONValue = [
            "task_type": "url_http_status", "task_version": 1, "task_data": ["url": .string("http://127.0.0.1:\(servicePort)/")],
            "every_seconds": 1, "locations": ["FI", "SE"],
            "success_schema": ["properties": ["status": ["const": 200]], "required": ["status"]],
            "alert": ["failing_locations": 2],
        ]
        let scheduleURL = maker.baseURL.appendingPathComponent("v2/schedules/site")
        let (created, _) = try await HTTP.put(scheduleURL, json: JSONWriter.string(from: schedule))
        #expect(created == 201)
        let started = Date()
        try await Task.sleep(for: .seconds(6))
        try "500".write(to: statusFile, atomically: true, encoding: .utf8)
        let outageStart = Date()
        try await Task.sleep(for: .seconds(10))
        try "200".write(to: statusFile, atomically: true, encoding: .utf8)
        let outageEnd = Date()
        try await Task.sleep(for: .seconds(6))
        var paused = schedule.objectValue!
        paused["paused"] = true
        #expect(try await HTTP.put(scheduleURL, json: JSONWriter.string(from: .object(paused))).status == 200)

        // Every run of the window, one by one, once all have ended and been counted.
        let from = Self.timestamp(started.addingTimeInterval(-120))
        let to = Self.timestamp(Date().addingTimeInterval(1))
        var expected: [String: (up: Int, down: Int)] = [:]
        var summary = JSONValue.null
        try await waitUntil(timeout: .seconds(30)) {
            guard let (_, body) = try? await HTTP.get(scheduleURL.appendingPathComponent("runs").appending(queryItems: [
                URLQueryItem(name: "from", value: from.iso8601Text), URLQueryItem(name: "to", value: to.iso8601Text), URLQueryItem(name: "limit", value: "1000"),
            ])), let runs = try? JSONParser.parse(body) else { return false }
            var counts: [String: (up: Int, down: Int)] = [:]
            for slot in runs["slots"]?.arrayValue ?? [] {
                for run in slot["runs"]?.arrayValue ?? [] {
                    let place = run["location"]?.stringValue ?? "?"
                    guard let task = run["task"], ["completed", "failed", "expired"].contains(task["state"]?.stringValue ?? "") else {
                        if run["status"]?.stringValue == "missed" { counts[place, default: (0, 0)].down += 1 }
                        continue
                    }
                    guard task["verdict"] != nil else { return false }
                    if task["state"] == "completed" && task["result"]?["status"] == 200 { counts[place, default: (0, 0)].up += 1 } else { counts[place, default: (0, 0)].down += 1 }
                }
            }
            guard let (_, summaryBody) = try? await HTTP.get(scheduleURL.appendingPathComponent("summary").appending(queryItems: [
                URLQueryItem(name: "from", value: from.iso8601Text), URLQueryItem(name: "to", value: to.iso8601Text), URLQueryItem(name: "by", value: "location"),
            ])), let parsed = try? JSONParser.parse(summaryBody) else { return false }
            expected = counts
            summary = parsed
            let overall = parsed["windows"]?.arrayValue?.first?["overall"]
            return overall?["runs"]?.numberValue?.int64Value == Int64(counts.values.reduce(0) { $0 + $1.up + $1.down })
        }
        let locations = summary["windows"]?.arrayValue?.first?["locations"]?.arrayValue ?? []
        #expect(locations.compactMap { $0["location"]?.stringValue } == ["FI", "SE"])
        for entry in locations {
            let place = entry["location"]?.stringValue ?? ""
            #expect(entry["up"]?.numberValue?.int64Value == Int64(expected[place]?.up ?? -1), "up in \(place)")
            #expect(entry["down"]?.numberValue?.int64Value == Int64(expected[place]?.down ?? -1), "down in \(place)")
            #expect((expected[place]?.up ?? 0) >= 8 && (expected[place]?.down ?? 0) >= 8, "\(place) saw both the service up and down")
        }

        // One incident, about as long as the outage.
        let (_, incidentBody) = try await HTTP.get(scheduleURL.appendingPathComponent("incidents"))
        let incidents = try JSONParser.parse(incidentBody)["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        let incident = try #require(incidents.first)
        #expect(incident["state"] == "resolved")
        let start = try #require(incident["start"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
        let end = try #require(incident["end"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
        let length = Double(end.microsecondsSinceEpoch - start.microsecondsSinceEpoch) / 1e6
        #expect(abs(length - outageEnd.timeIntervalSince(outageStart)) <= 2, "incident of \(length) s for an outage of \(outageEnd.timeIntervalSince(outageStart)) s")
        #expect(abs(Double(start.microsecondsSinceEpoch) / 1e6 - outageStart.timeIntervalSince1970) <= 2)
        #expect(Set(incident["failing_locations"]?.arrayValue?.compactMap(\.stringValue) ?? []) == ["FI", "SE"])

        // The dashboard shows the schedule's uptime over the day and that no incident is open.
        let (_, page) = try await HTTP.get(maker.baseURL.appendingPathComponent("dashboard/api/panels"))
        let listed = try JSONParser.parse(String(decoding: page, as: UTF8.self))["panels"]?["schedules"]?["schedules"]?.arrayValue?.first
        let ratio = Double(expected.values.reduce(0) { $0 + $1.up }) / Double(expected.values.reduce(0) { $0 + $1.up + $1.down })
        let shown = try #require(listed?["uptime_24h"]?.numberValue?.doubleValue)
        #expect(abs(shown - ratio) < 1e-9, "the day's uptime, \(shown) for \(ratio)")
        #expect(listed?["open_incident"] == .null)

        // The receiver comes up a minute in; the deliveries, retried meanwhile, then arrive.
        let untilMinute = 60 - Date().timeIntervalSince(started)
        if untilMinute > 0 { try await Task.sleep(for: .seconds(untilMinute)) }
        receiverReservation = nil
        let receiver = try Self.python(port: receiverPort, file: receiverLog)
        defer { receiver.signal(SIGTERM) }
        var received: [String: JSONValue] = [:]
        try await waitUntil(timeout: .seconds(60)) {
            received = [:]
            let lines = (try? String(contentsOf: receiverLog, encoding: .utf8))?.split(separator: "\n") ?? []
            for line in lines {
                guard let request = try? JSONParser.parse(String(line)), let id = request["headers"]?["afm-webhook-id"]?.stringValue else { continue }
                received[id] = request
            }
            return received.count >= 2
        }
        let events = received.values.compactMap { $0["headers"]?["afm-webhook-event"]?.stringValue }.sorted()
        #expect(events == ["incident.opened", "incident.resolved"])
        for request in received.values {
            let body = request["body"]?.stringValue ?? ""
            let timestamp = Int64(request["headers"]?["afm-webhook-timestamp"]?.stringValue ?? "") ?? 0
            let signature = request["headers"]?["afm-webhook-signature"]?.stringValue ?? ""
            #expect(WebhookSignature.verify(signature: signature, body: Array(body.utf8), timestamp: timestamp, secret: secret))
            #expect(!WebhookSignature.verify(signature: signature, body: Array(body.utf8), timestamp: timestamp, secret: secret + "x"))
            #expect(try JSONParser.parse(body)["incident"]?["id"] == incident["id"])
        }
        let (_, deliveryBody) = try await HTTP.get(maker.baseURL.appendingPathComponent("v2/webhooks/pager/deliveries"))
        let deliveries = try JSONParser.parse(deliveryBody)["deliveries"]?.arrayValue ?? []
        #expect(deliveries.count == 2)
        for delivery in deliveries {
            #expect(delivery["state"] == "delivered")
            #expect((delivery["attempts"]?.arrayValue?.count ?? 0) > 1, "the first attempts found no receiver")
        }
        let (_, hook) = try await HTTP.get(maker.baseURL.appendingPathComponent("v2/webhooks/pager"))
        #expect(!String(decoding: hook, as: UTF8.self).contains(secret))
        let logs = await maker.stopAndReadLog() + holder.stopAndReadLog()
        #expect(!logs.contains(secret))
    }
}
