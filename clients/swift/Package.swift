// swift-tools-version: 6.0
// A client generated from ../../openapi.yaml by swift-openapi-generator, and a program that walks through the README's
// v2 example with it against a live afm: the contract proven usable, not only valid. A package of its own, so that
// afm and afm-agent do not depend on the generator. Versions are pinned exactly.
import PackageDescription

let package = Package(
    name: "AFMContractClient",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", exact: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", exact: "1.4.0"),
    ],
    targets: [
        .executableTarget(
            name: "AFMWalkthrough",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")])
    ])
