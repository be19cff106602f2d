// swift-tools-version:6.0
// The libFuzzer targets (scripts/fuzz). A package of its own, beside the project's, so that neither
// `swift build` nor `scripts/test` ever sees these targets; it builds in `.build-fuzz` only.
import PackageDescription

// A path dependency is known by its folder's name (`doctor`, `main`, a worktree's name…).
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "doctor"

let targets = ["FuzzRunbook", "FuzzValidators", "FuzzStripeSignature", "FuzzCapture", "FuzzLogScan"]

let package = Package(
    name: "doctor-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzz"),
        .target(name: "FuzzSupport", dependencies: ["CFuzz"]),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", .product(name: "DoctorKit", package: root)],
            path: "Sources/\(name)"
        )
    }
)
