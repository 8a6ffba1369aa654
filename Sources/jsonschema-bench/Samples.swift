import JSON

/// The documents the benchmark validates: a protocol-1 poll, and a realistic task payload with its schema.
enum Samples {
    static let poll: JSONValue = [
        "protocol": 1,
        "agent_id": "de305d54-75b4-431b-adb2-eb6b9e546013",
        "agent_name": "probe-eu-west-17",
        "agent_time": "2026-11-23T15:42:00.125000+00:00",
        "agent_capabilities": ["wait": ["version": 1], "url_http_status": ["version": 1], "dns_lookup": ["version": 2]],
        "max_tasks": 2,
        "agent_location": ["country": "FI", "region": "18", "latitude": 60.1699, "longitude": 24.9384],
    ]

    /// An HTTP check: request, expectations, assertions and a schedule; about 2 KB of JSON.
    static let taskSchema: JSONValue = [
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["url", "method", "expect"],
        "additionalProperties": false,
        "properties": [
            "url": ["type": "string", "format": "uri", "maxLength": 2048],
            "method": ["enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]],
            "headers": ["type": "object", "additionalProperties": ["type": "string", "maxLength": 1024], "maxProperties": 64],
            "body": ["type": "string", "maxLength": 65536],
            "timeout_seconds": ["type": "number", "exclusiveMinimum": 0, "maximum": 300],
            "follow_redirects": ["type": "boolean"],
            "expect": [
                "type": "object",
                "required": ["status"],
                "properties": [
                    "status": ["type": "array", "items": ["type": "integer", "minimum": 100, "maximum": 599], "minItems": 1, "uniqueItems": true],
                    "max_latency_ms": ["type": "integer", "minimum": 1],
                    "body_contains": ["type": "array", "items": ["type": "string", "minLength": 1]],
                    "headers": ["type": "object", "additionalProperties": ["type": "string"]],
                ],
                "additionalProperties": false,
            ],
            "assertions": [
                "type": "array",
                "maxItems": 32,
                "items": [
                    "oneOf": [
                        ["$ref": "#/$defs/jsonPathAssertion"],
                        ["$ref": "#/$defs/regexAssertion"],
                    ]
                ],
            ],
            "tags": ["type": "array", "items": ["type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"], "uniqueItems": true],
            "schedule": [
                "type": "object",
                "properties": [
                    "interval_seconds": ["type": "integer", "minimum": 10],
                    "jitter_seconds": ["type": "integer", "minimum": 0],
                    "regions": ["type": "array", "items": ["type": "string", "minLength": 2, "maxLength": 8]],
                ],
                "required": ["interval_seconds"],
            ],
        ],
        "$defs": [
            "jsonPathAssertion": [
                "type": "object",
                "required": ["kind", "path", "equals"],
                "properties": ["kind": ["const": "json_path"], "path": ["type": "string", "minLength": 1], "equals": true],
                "additionalProperties": false,
            ],
            "regexAssertion": [
                "type": "object",
                "required": ["kind", "pattern"],
                "properties": ["kind": ["const": "regex"], "pattern": ["type": "string"], "negate": ["type": "boolean"]],
                "additionalProperties": false,
            ],
        ],
    ]

    static let task: JSONValue = [
        "url": "https://status.example.com/api/v2/health?region=eu-west-1&verbose=true",
        "method": "POST",
        "body": "{\"probe\":\"afm-health\",\"checks\":[\"database\",\"queue\",\"cache\",\"object-store\",\"search\"],\"detail\":\"full\",\"include_latency\":true,\"include_versions\":true,\"correlation_id\":\"5b2f4c1e-9a7d-4e8b-b1c3-2d6f8a0e4c97\",\"requested_by\":\"scheduler\",\"window\":{\"from\":\"2026-11-23T15:00:00Z\",\"to\":\"2026-11-23T15:05:00Z\"}}",
        "headers": [
            "Accept": "application/json", "User-Agent": "AgentFleet/1.0 (+https://agentfleet.example)",
            "X-Request-Source": "afm-scheduler", "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9.c2lnbmF0dXJl",
            "Cache-Control": "no-cache", "Content-Type": "application/json", "X-Correlation-Id": "5b2f4c1e-9a7d-4e8b-b1c3-2d6f8a0e4c97",
            "Accept-Language": "en-GB,en;q=0.8,fi;q=0.6", "X-Probe-Region": "eu-west-1",
        ],
        "timeout_seconds": 12.5,
        "follow_redirects": true,
        "expect": [
            "status": [200, 204, 301, 302],
            "max_latency_ms": 1500,
            "body_contains": ["\"status\":\"ok\"", "\"database\":\"up\"", "\"queue\":\"up\""],
            "headers": ["Content-Type": "application/json; charset=utf-8"],
        ],
        "assertions": [
            ["kind": "json_path", "path": "$.status", "equals": "ok"],
            ["kind": "json_path", "path": "$.checks.database.latency_ms", "equals": 3],
            ["kind": "json_path", "path": "$.checks.queue.depth", "equals": 0],
            ["kind": "regex", "pattern": "\"version\":\"[0-9]+\\.[0-9]+\\.[0-9]+\"", "negate": false],
            ["kind": "regex", "pattern": "error|exception|traceback", "negate": true],
            ["kind": "json_path", "path": "$.checks.cache.hit_ratio", "equals": 0.97],
            ["kind": "json_path", "path": "$.checks.search.status", "equals": "green"],
            ["kind": "regex", "pattern": "\"region\":\"eu-west-1\"", "negate": false],
        ],
        "tags": ["production", "eu-west-1", "health", "api_v2", "tier-1", "customer-facing", "slo_99_9", "owner-platform"],
        "schedule": [
            "interval_seconds": 60, "jitter_seconds": 5,
            "regions": ["eu-west", "eu-north", "us-east", "ap-south"],
        ],
    ]
}
