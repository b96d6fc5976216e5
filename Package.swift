// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CourtSync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "courtsync", targets: ["courtsync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // RFC 8785 canonical JSON: the byte form every hash and signature is computed over.
        .target(name: "CanonicalJSON"),
        // The signed, hash-chained event envelope and the event catalog. No storage, no network.
        .target(name: "CourtLog", dependencies: [
            "CanonicalJSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.embedInCode("Resources/event-catalog.json")]),
        // zlib and iconv from the system (zlib1g-dev, glibc): zips for .docx/.xlsx, GB18030 text.
        .systemLibrary(name: "COfficeShims", path: "Sources/COfficeShims"),
        // sqlite3_config, which takes variable arguments, wrapped for Swift (libsqlite3-dev).
        .systemLibrary(name: "CSQLiteConfig", path: "Sources/CSQLiteConfig"),
        // Office files without Office: zip archives, .xlsx read and written, .docx written, GB18030 text.
        .target(name: "OfficeFiles", dependencies: ["COfficeShims"]),
        // The plan 焦中法〔2022〕77号 as data: courts, departments, indicators, thresholds.
        .target(name: "CourtPlan", dependencies: ["CanonicalJSON"],
                resources: [.embedInCode("Resources/jiaozuo-2022-77.json"), .embedInCode("Resources/supervised-systems.jsonl")]),
        // Compliance, assignments, trends, accountability: pure folds over events and policy.
        .target(name: "Projections", dependencies: [
            "CourtLog", "CourtPlan",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // RFC 9162 Merkle tree hashing and proofs, C2SP checkpoints (signed notes) and tile paths:
        // pure code over hashes the caller fetches, no storage, no network.
        .target(name: "TransparencyLog", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // A court node's local SQLite log (GRDB, WAL, durable commits).
        .target(name: "NodeStore", dependencies: [
            "CourtLog", "CourtPlan", "Projections", "TransparencyLog", "CSQLiteConfig",
            // TextEncoding: a CSV import decodes UTF-8 or GB18030 as it streams.
            "OfficeFiles",
            .product(name: "GRDB", package: "GRDB.swift"),
            // SQLite's C API, to bind an appended event's columns straight from its bytes.
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Bench-only fixtures (unsigned synthetic history, the raw SQLite insert limit): for
        // `courtsync bench`, never for the node's or the hub's libraries.
        .target(name: "Bench", dependencies: [
            "CourtLog", "NodeStore", "Projections",
            .product(name: "GRDB", package: "GRDB.swift"),
            // The hostile load (idle connections and a slowloris) of `bench hostile` and the tests.
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // A seeded, deterministic city of courts using the plan's systems month by month: the demo's data.
        .target(name: "CitySimulation", dependencies: ["CanonicalJSON", "CourtLog", "CourtPlan"]),
        // 技术处's bulletins (月通报、半年通报、年通报) in Markdown and HTML, from the projections.
        .target(name: "Bulletins", dependencies: ["CourtLog", "CourtPlan", "Projections", "OfficeFiles"]),
        // Query answers as tables and JSON, shared by the CLI and the hub's endpoints.
        .target(name: "QueryViews", dependencies: ["CanonicalJSON", "CourtLog", "CourtPlan", "Projections", "NodeStore"]),
        // The hub's web dashboard as server-rendered HTML (no Hummingbird: the Hub's routes call it).
        .target(name: "Dashboard", dependencies: ["CourtLog", "CourtPlan", "Projections", "QueryViews", "Bulletins"]),
        // The sync protocol's wire types and URL paths (mirrored by protocol/openapi.yaml), and
        // the hub's own CA and certificates. No server, no client.
        .target(name: "SyncProtocol", dependencies: [
            "CourtLog", "CanonicalJSON", "TransparencyLog",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // The intermediate court's hub: HTTPS server, enrollment registry, ingest.
        .target(name: "Hub", dependencies: [
            "SyncProtocol", "NodeStore", "Projections", "CourtPlan", "QueryViews", "Dashboard", "Bulletins", "TransparencyLog",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // A node's side of sync: push its log, pull the policy log, keep receipts.
        .target(name: "NodeSync", dependencies: [
            "SyncProtocol", "NodeStore", "TransparencyLog",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // A standalone witness of the hub's log (C2SP tlog-witness): no court's code, its own state.
        .target(name: "Witness", dependencies: [
            "CanonicalJSON", "CourtLog", "SyncProtocol", "TransparencyLog",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "courtsync", dependencies: [
            "CourtLog", "CourtPlan", "Projections", "NodeStore", "QueryViews", "SyncProtocol", "Hub", "NodeSync", "CitySimulation", "Bulletins", "Dashboard", "OfficeFiles", "TransparencyLog", "Witness", "Bench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "CanonicalJSONTests", dependencies: ["CanonicalJSON"]),
        .testTarget(name: "TransparencyLogTests", dependencies: ["TransparencyLog"]),
        .testTarget(name: "CourtLogTests", dependencies: ["CourtLog", "CourtPlan"]),
        .testTarget(name: "NodeStoreTests", dependencies: ["NodeStore", "Projections", "QueryViews", "TransparencyLog", "Bulletins", "CanonicalJSON", "CourtLog", "CourtPlan"]),
        .testTarget(name: "PlanFileTests", dependencies: ["CourtPlan"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "CourtLog", "CourtPlan", "Bulletins"]),
        .testTarget(name: "CitySimulationTests", dependencies: ["CitySimulation", "CourtLog", "CourtPlan"]),
        .testTarget(name: "CLITests", dependencies: ["courtsync", "CourtLog", "NodeStore", "OfficeFiles"]),
        .testTarget(name: "OfficeFilesTests", dependencies: ["OfficeFiles"]),
        .testTarget(name: "SyncTests", dependencies: [
            "courtsync", "SyncProtocol", "Hub", "NodeSync", "NodeStore", "CourtLog", "TransparencyLog", "Witness", "CanonicalJSON", "Bench",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ],
        // A relay the tests run with python3 (a link cut mid-push), not a source of the target.
        exclude: ["cut_relay.py"]),
        .testTarget(name: "DashboardTests", dependencies: [
            "Dashboard", "Hub", "NodeStore", "CourtLog", "CourtPlan", "QueryViews",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
