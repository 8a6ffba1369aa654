import JSON

/// The JSON Schemas of the checks' task data and results, as the agent registers them with the AFM (so that a bad
/// check is refused when it is created) and checks task data against before running. `format` is asserted:
/// `regex` is an ECMA-262 expression, `json-pointer` an RFC 6901 pointer.
public enum CheckSchemas {
    /// Members every result has.
    static func result(_ details: String) -> String {
        #"""
        {"type": "object", "required": ["success", "duration_seconds"],
         "properties": {"success": {"type": "boolean"}, "reason": {"type": "string"},
                        "duration_seconds": {"type": "number", "minimum": 0}\#(details.isEmpty ? "" : ", " + details)}}
        """#
    }

    static let timeout = #""timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 300}"#
    static let ipVersion = #""ip_version": {"enum": ["4", "6", "any"]}"#
    static let host = #""host": {"type": "string", "minLength": 1, "maxLength": 253}"#
    static let seconds = #"{"type": "number", "minimum": 0}"#
    static let regex = #"{"type": "string", "format": "regex"}"#
    static let tlsFacts = #"""
        {"type": "object", "properties": {"version": {"type": "string"}, "not_after": {"type": "string"},
         "days_left": {"type": "number"}, "issuer": {"type": "string"}, "subject": {"type": "string"},
         "verified": {"type": "boolean"}, "verify_error": {"type": "string"}}}
        """#
    static let tlsOptions = #"""
        {"type": "object", "additionalProperties": false, "properties": {"ca_file": {"type": "string"},
         "skip_verify": {"type": "boolean"}, "server_name": {"type": "string"}}}
        """#
    static let statusItem = #"""
        {"oneOf": [{"type": "integer", "minimum": 100, "maximum": 599},
                   {"type": "string", "pattern": "^([1-5][xX][xX]|[1-5][0-9][0-9]-[1-5][0-9][0-9])$"}]}
        """#

    public static let http = (
        task: #"""
            {"type": "object", "required": ["url"], "additionalProperties": false, "properties": {
             "url": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/]"},
             "method": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]},
             "headers": {"type": "object", "additionalProperties": {"type": "string"}},
             "body": {"type": "string"},
             "auth": {"oneOf": [
               {"type": "object", "required": ["bearer"], "additionalProperties": false, "properties": {"bearer": {"type": "string"}}},
               {"type": "object", "required": ["username"], "additionalProperties": false,
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}]},
             "follow_redirects": {"type": "boolean"},
             "max_redirects": {"type": "integer", "minimum": 0, "maximum": 20},
             \#(timeout), \#(ipVersion), "tls": \#(tlsOptions),
             "assert": {"type": "object", "additionalProperties": false, "properties": {
               "status": {"oneOf": [\#(statusItem), {"type": "array", "minItems": 1, "items": \#(statusItem)}]},
               "body_matches": \#(regex), "body_not_matches": \#(regex),
               "headers": {"type": "object", "additionalProperties": \#(regex)},
               "json": {"type": "array", "items": {"type": "object", "required": ["pointer"], "additionalProperties": false,
                 "properties": {"pointer": {"type": "string", "format": "json-pointer"},
                   "op": {"enum": ["==", "!=", "<", "<=", ">", ">=", "matches", "exists", "absent"]}, "value": true},
                 "allOf": [
                   {"if": {"required": ["op"], "properties": {"op": {"const": "matches"}}},
                    "then": {"required": ["value"], "properties": {"value": \#(regex)}}},
                   {"if": {"required": ["op"], "properties": {"op": {"enum": ["<", "<=", ">", ">="]}}},
                    "then": {"required": ["value"], "properties": {"value": {"type": "number"}}}},
                   {"if": {"not": {"required": ["op"], "properties": {"op": {"enum": ["exists", "absent"]}}}},
                    "then": {"required": ["value"]}}]}},
               "max_seconds": {"type": "number", "exclusiveMinimum": 0},
               "degraded_seconds": {"type": "number", "exclusiveMinimum": 0},
               "tls_days_left_min": {"type": "number"}}}}}
            """#,
        result: result(#"""
            "status": {"type": "integer"}, "http_version": {"type": "string"}, "bytes": {"type": "integer", "minimum": 0},
            "redirects": {"type": "integer", "minimum": 0}, "url": {"type": "string"}, "ip": {"type": "string"},
            "degraded": {"type": "boolean"}, "tls": \#(tlsFacts),
            "phases": {"type": "object", "properties": {"dns": \#(seconds), "connect": \#(seconds), "tls": \#(seconds),
              "first_byte": \#(seconds), "transfer": \#(seconds)}, "additionalProperties": false}
            """#)
    )

    public static let tcp = (
        task: #"""
            {"type": "object", "required": ["host", "port"], "additionalProperties": false, "properties": {
             \#(host), "port": {"type": "integer", "minimum": 1, "maximum": 65535},
             "tls": {"oneOf": [{"type": "boolean"}, \#(tlsOptions)]},
             "send": {"type": "string"}, "expect": \#(regex), \#(timeout), \#(ipVersion)}}
            """#,
        result: result(#"""
            "ip": {"type": "string"}, "tls": \#(tlsFacts),
            "phases": {"type": "object", "properties": {"dns": \#(seconds), "connect": \#(seconds), "tls": \#(seconds),
              "exchange": \#(seconds)}, "additionalProperties": false}
            """#)
    )

    public static let tls = (
        task: #"""
            {"type": "object", "required": ["host"], "additionalProperties": false, "properties": {
             \#(host), "port": {"type": "integer", "minimum": 1, "maximum": 65535}, "server_name": {"type": "string"},
             "ca_file": {"type": "string"}, "days_left_min": {"type": "number"}, "allow_untrusted": {"type": "boolean"},
             \#(timeout), \#(ipVersion)}}
            """#,
        result: result(#"""
            "ip": {"type": "string"}, "version": {"type": "string"}, "not_after": {"type": "string"},
            "days_left": {"type": "number"}, "issuer": {"type": "string"}, "subject": {"type": "string"},
            "verified": {"type": "boolean"}, "verify_error": {"type": "string"},
            "phases": {"type": "object", "properties": {"dns": \#(seconds), "connect": \#(seconds), "tls": \#(seconds)}}
            """#)
    )

    public static let dns = (
        task: #"""
            {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
             "name": {"type": "string", "minLength": 1, "maxLength": 253},
             "record_type": {"enum": ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA"]},
             "server": {"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}]},
             "port": {"type": "integer", "minimum": 1, "maximum": 65535}, \#(timeout),
             "assert": {"type": "object", "additionalProperties": false, "properties": {
               "rcode": {"enum": ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]},
               "answers": {"type": "array", "items": {"type": "string"}}, "answers_match": \#(regex),
               "min_answers": {"type": "integer", "minimum": 0}}}}}
            """#,
        result: result(#"""
            "server": {"type": "string"}, "rcode": {"type": "string"},
            "answers": {"type": "array", "items": {"type": "string"}}, "via": {"type": "array", "items": {"type": "string"}}
            """#)
    )

    public static let icmp = (
        task: #"""
            {"type": "object", "required": ["host"], "additionalProperties": false, "properties": {
             \#(host), "count": {"type": "integer", "minimum": 1, "maximum": 100},
             "interval_seconds": {"type": "number", "minimum": 0.01, "maximum": 60}, \#(timeout), \#(ipVersion),
             "assert": {"type": "object", "additionalProperties": false, "properties": {
               "max_loss": {"type": "number", "minimum": 0, "maximum": 1},
               "max_rtt_seconds": {"type": "number", "exclusiveMinimum": 0}}}}}
            """#,
        result: result(#"""
            "ip": {"type": "string"}, "sent": {"type": "integer"}, "received": {"type": "integer"},
            "loss": {"type": "number", "minimum": 0, "maximum": 1}, "socket": {"enum": ["datagram", "raw"]},
            "rtt": {"type": "object", "properties": {"min": \#(seconds), "avg": \#(seconds), "max": \#(seconds), "stddev": \#(seconds)}}
            """#)
    )

    /// Every built-in check: type, version, task schema, result schema; parsed once.
    public static let all: [(type: String, version: Int, task: JSONValue, result: JSONValue)] = {
        [
            ("http", 1, http.task, http.result), ("tcp", 1, tcp.task, tcp.result), ("tls", 1, tls.task, tls.result),
            ("dns", 1, dns.task, dns.result), ("icmp", 1, icmp.task, icmp.result),
        ].map {
            // The texts are constants of this file; a test parses each.
            ($0.0, $0.1, try! JSONParser.parse($0.2), try! JSONParser.parse($0.3))
        }
    }()
}
