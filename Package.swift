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
    ],
    targets: [
        // RFC 8785 canonical JSON: the byte form every hash and signature is computed over.
        .target(name: "CanonicalJSON"),
        // The signed, hash-chained event envelope and the event catalog. No storage, no network.
        .target(name: "CourtLog", dependencies: [
            "CanonicalJSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.embedInCode("Resources/event-catalog.json")]),
        // The plan 焦中法〔2022〕77号 as data: courts, departments, indicators, thresholds.
        .target(name: "CourtPlan", dependencies: ["CanonicalJSON"],
                resources: [.embedInCode("Resources/jiaozuo-2022-77.json")]),
        // Compliance, assignments, trends, accountability: pure folds over events and policy.
        .target(name: "Projections", dependencies: [
            "CourtLog", "CourtPlan",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // A court node's local SQLite log (GRDB, WAL, durable commits).
        .target(name: "NodeStore", dependencies: [
            "CourtLog", "CourtPlan", "Projections",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .executableTarget(name: "courtsync", dependencies: [
            "CourtLog", "CourtPlan", "Projections", "NodeStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "CanonicalJSONTests", dependencies: ["CanonicalJSON"]),
        .testTarget(name: "CourtLogTests", dependencies: ["CourtLog", "CourtPlan"]),
        .testTarget(name: "NodeStoreTests", dependencies: ["NodeStore"]),
        .testTarget(name: "PlanFileTests", dependencies: ["CourtPlan"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "CourtLog", "CourtPlan"]),
        .testTarget(name: "CLITests", dependencies: ["courtsync", "CourtLog", "NodeStore"]),
    ]
)
