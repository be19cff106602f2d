// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "doctor",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "doctor", targets: ["doctor"]),
        .library(name: "DoctorKit", targets: ["DoctorKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        .target(name: "CEditLineShim", dependencies: ["CEditLine"]),
        // The git commit the binary was built from, when the build tells it (scripts/install). Only
        // the executable depends on it: a new commit then recompiles that module alone.
        .target(name: "CBuildInfo"),
        .target(
            name: "DoctorKit",
            dependencies: [
                "CCurl", "CCurlShim", "COpenSSL", "CPostgres",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The stand-ins `doctor demo` and the tests run against; DoctorKit never imports it.
        .target(name: "DoctorSandbox", dependencies: ["DoctorKit"]),
        .executableTarget(
            name: "doctor",
            dependencies: [
                "DoctorKit", "DoctorSandbox", "CEditLine", "CEditLineShim", "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DoctorKitTests", dependencies: ["DoctorKit", "DoctorSandbox"]),
    ]
)
