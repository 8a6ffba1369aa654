// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "AgentFleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "afm", targets: ["afm"]),
        .executable(name: "afm-agent", targets: ["afm-agent"]),
        .executable(name: "jsonschema-suite", targets: ["jsonschema-suite"]),
        .executable(name: "jsonschema-bench", targets: ["jsonschema-bench"]),
        .executable(name: "afm-bench", targets: ["afm-bench"]),
        .executable(name: "cep-stub", targets: ["cep-stub"]),
        .executable(name: "check-bench", targets: ["check-bench"]),
        .executable(name: "summary-bench", targets: ["summary-bench"]),
        .library(name: "JSONSchema", targets: ["JSONSchema"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", exact: "1.13.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
        .package(url: "https://github.com/apple/swift-collections.git", exact: "1.6.0"),
    ],
    targets: [
        // The JSON value, its parser and writer, timestamps and canonical UUID text: standard library and Foundation.
        .target(name: "JSON"),
        // JSON Schema compiler and validator.
        .target(name: "JSONSchema", dependencies: ["JSON"]),
        // Runs JSON-Schema-Test-Suite folders; shared by the jsonschema-suite executable and the tests.
        .target(name: "JSONSchemaSuite", dependencies: ["JSON", "JSONSchema"]),
        .executableTarget(
            name: "jsonschema-suite",
            dependencies: [
                "JSONSchemaSuite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Validations per second of the protocol-1 poll and a task payload (run it release-built).
        .executableTarget(
            name: "jsonschema-bench",
            dependencies: [
                "JSON",
                "JSONSchema",
                "FleetWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Task lifecycles per second through any AFM on loopback (run it release-built).
        .executableTarget(
            name: "afm-bench",
            dependencies: [
                "FleetWire",
                "JSON",
                "EventLoopExecutor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The task and agent domain, and its errors.
        .target(name: "FleetModel", dependencies: ["JSON", "JSONSchema"]),
        // The wire: protocol-1 request and answer bodies with their schemas, read and written by the server, the agent
        // and the bench alike.
        .target(name: "FleetWire", dependencies: ["JSON", "JSONSchema"]),
        // The storage contracts (task queue, fleet directory, task-type registry, schedules) and what both engines
        // share; no database driver.
        .target(
            name: "FleetStore",
            dependencies: [
                "FleetModel",
                "JSON",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The PostgreSQL engine behind every storage contract, with its migrations.
        .target(
            name: "FleetStorePostgres",
            dependencies: [
                "EventLoopExecutor",
                "FleetModel",
                "FleetStore",
                "JSON",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The embedded SQLite engine behind every storage contract, with its migrations.
        .target(
            name: "FleetStoreSQLite",
            dependencies: [
                "FleetModel",
                "FleetStore",
                "JSON",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The domain: task creation and outcomes with their schemas, the fleet overview, the sweep, the clock and
        // the metrics events. Controllers call it; it calls the storage contracts.
        .target(
            name: "FleetService",
            dependencies: [
                "FleetModel",
                "FleetStore",
                "JSON",
                "JSONSchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP transport: HTTP/1.1 served from NIO events, connection limits and timeouts, routing, middleware, and
        // answers made now or later.
        .target(
            name: "FleetHTTP",
            dependencies: [
                "EventLoopExecutor",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP application: controllers that map HTTP to the domain and back, auth, errors, dashboard, metrics.
        .target(
            name: "FleetServer",
            dependencies: [
                "FleetHTTP",
                "FleetWire",
                "FleetService",
                "FleetStore",
                "FleetModel",
                "JSON",
                "JSONSchema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Runs Swift tasks on a NIO event loop: afm's request tasks, afm-bench's simulated clients.
        .target(name: "EventLoopExecutor", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // One-line-per-event log output shared by the executables.
        .target(
            name: "FleetLogging",
            dependencies: ["JSON", .product(name: "Logging", package: "swift-log")]
        ),
        // The composition root: the AFM's settings as one value, and the one function that builds the application
        // from them, for afm and for the tests.
        .target(
            name: "FleetApplication",
            dependencies: [
                "FleetHTTP",
                "FleetServer",
                "FleetService",
                "FleetStore",
                "FleetStorePostgres",
                "FleetStoreSQLite",
                "FleetWebhooks",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Seeds a year of schedule runs and times summaries over it (run it release-built).
        .executableTarget(
            name: "summary-bench",
            dependencies: [
                "FleetApplication",
                "FleetModel",
                "FleetService",
                "FleetStore",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Webhook deliveries: signed, sent and retried from the store's queue.
        .target(
            name: "FleetWebhooks",
            dependencies: [
                "FleetModel",
                "FleetService",
                "FleetStore",
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The afm executable: CLI, configuration, service group.
        .executableTarget(
            name: "afm",
            dependencies: [
                "FleetApplication",
                "FleetHTTP",
                "FleetStore",
                "FleetLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // zlib, for gzip answers (Debian: zlib1g-dev, which swift-nio-extras needs already).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libmosquitto, the C MQTT client (Debian: libmosquitto-dev).
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // MQTT over libmosquitto: failover across brokers, async publish with acknowledgement, message streams.
        .target(
            name: "MQTT",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]
        ),
        // The agent's cartridge side: agent.conf and launch parameters, Stratos lifecycle on MQTT, extensions.
        .target(
            name: "Cartridge",
            dependencies: [
                "MQTT", "Databridge", "ChildProcesses", "JSON", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The WSO2 data bridge: Thrift binary protocol, the event transmission services, client and server.
        .target(
            name: "Databridge",
            dependencies: [
                "JSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A data-bridge receiver for the stack and the tests: records events, serves them over HTTP.
        .executableTarget(
            name: "cep-stub",
            dependencies: [
                "Databridge",
                "FleetLogging",
                "JSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Runs a child process to its end or a time limit: the agent's plug-in handlers and the cartridge's extensions.
        .target(name: "ChildProcesses"),
        // The monitoring checks (http, tcp, tls, dns, icmp): timed on their own connections, with their assertions.
        .target(
            name: "FleetChecks",
            dependencies: [
                "JSON",
                "JSONSchema",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // http@1 checks per second and memory per concurrent check, against its own local server (run it release-built).
        .executableTarget(
            name: "check-bench",
            dependencies: [
                "FleetChecks",
                "JSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The agent's task runner: polling, handlers and plug-ins, the durable outbox, identity, shutdown.
        .target(
            name: "FleetAgent",
            dependencies: [
                "ChildProcesses",
                "FleetWire",
                "FleetChecks",
                "JSONSchema",
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The afm-agent executable: CLI compatible with slamon-agent.
        .executableTarget(
            name: "afm-agent",
            dependencies: [
                "FleetAgent",
                "Cartridge",
                "FleetLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test helpers shared by the test targets: store engines (SQLite, PostgreSQL), processes, HTTP.
        .target(
            name: "FleetTestSupport",
            dependencies: [
                "ChildProcesses",
                "FleetApplication",
                "FleetService",
                "FleetStore",
                "FleetModel",
                "JSON",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/FleetTestSupport"
        ),
        .testTarget(name: "JSONSchemaTests", dependencies: ["JSON", "JSONSchema", "JSONSchemaSuite", "FleetTestSupport"]),
        .testTarget(name: "FleetModelTests", dependencies: ["FleetModel", "JSON"]),
        .testTarget(name: "FleetWireTests", dependencies: ["FleetWire", "JSON"]),
        .testTarget(name: "ChildProcessesTests", dependencies: ["ChildProcesses", "FleetTestSupport"]),
        .testTarget(
            name: "FleetServiceTests",
            dependencies: ["FleetService", "FleetStore", "FleetModel", "JSON", "FleetTestSupport"]
        ),
        .testTarget(
            name: "FleetAgentTests",
            dependencies: [
                "FleetAgent", "FleetWire", "JSON", "FleetTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "FleetChecksTests", dependencies: ["FleetChecks", "JSON", "JSONSchema", "FleetTestSupport"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "FleetTestSupport"]),
        .testTarget(name: "CartridgeTests", dependencies: ["Cartridge", "Databridge", "MQTT", "JSON"]),
        .testTarget(
            name: "DatabridgeTests",
            dependencies: ["Databridge", "FleetTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "FleetStoreTests", dependencies: ["FleetStore", "FleetModel", "FleetTestSupport"]),
        .testTarget(
            name: "FleetStorePostgresTests",
            dependencies: [
                "FleetStorePostgres", "FleetStore", "FleetModel", "FleetTestSupport", "FleetApplication",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "FleetStoreSQLiteTests",
            dependencies: [
                "FleetStoreSQLite", "FleetStore", "FleetModel", "FleetTestSupport", "FleetApplication",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]),
        .testTarget(
            name: "FleetServerTests",
            dependencies: [
                "FleetApplication",
                "FleetHTTP",
                "FleetServer",
                "FleetService",
                "FleetStore",
                "FleetModel",
                "JSON",
                "FleetTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts the real afm executable (and the original SLAMon agent when installed) and talks HTTP to it.
        .testTarget(
            name: "SystemTests", dependencies: ["FleetTestSupport", "FleetWebhooks", "Databridge", "JSON", "afm", "afm-agent", "afm-bench", "cep-stub"]),
    ]
)
