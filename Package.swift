// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "mailprep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mailprep", targets: ["mailprep"]),
        .library(name: "MIME", targets: ["MIME"]),
        .library(name: "MailPrepCore", targets: ["MailPrepCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Up to the next minor only: serve leans on NIO's @_spi(CustomByteBufferAllocator), which has no semver promise.
        .package(url: "https://github.com/apple/swift-nio", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    ],
    targets: [
        // System libraries: each is imported by exactly one Swift file of the layer that owns it.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        // The one hot loop that Swift's SIMD types cannot vectorize (base64 alphabet runs).
        .target(name: "CMIMEScan"),
        // MIME knows nothing of providers or policies.
        .target(name: "MIME", dependencies: ["CMIMEScan"]),
        .target(
            name: "MailPrepCore",
            dependencies: [
                "MIME", "CArchive", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Drafts on an IMAP server: libcurl connects, verifies TLS and logs in; the FETCH responses are read here.
        .target(name: "MailPrepIMAP", dependencies: ["MailPrepCore", "MIME", "CCurl"]),
        // Counted memory for the file pieces serve has read but not yet sent.
        .target(name: "CPieceMemory"),
        // The download side of the share; the only target that pulls in a server stack.
        .target(
            name: "MailPrepServer",
            dependencies: [
                "MailPrepCore",
                "CPieceMemory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // SMTP as a client: a submission server's own SIZE (RFC 1870), over STARTTLS or TLS from swift-nio-ssl.
        .target(
            name: "MailPrepSMTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "mailprep",
            dependencies: [
                "MailPrepCore",
                "MIME",
                "MailPrepServer",
                "MailPrepSMTP",
                "MailPrepIMAP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Inner-loop timings for scripts/bench.py.
        .executableTarget(name: "mailprep-bench", dependencies: ["MIME"]),
        .testTarget(name: "MIMETests", dependencies: ["MIME"]),
        .testTarget(name: "MailPrepCoreTests", dependencies: ["MailPrepCore", "MIME"]),
        .testTarget(name: "MailPrepServerTests", dependencies: ["MailPrepServer", "MailPrepCore"]),
        .testTarget(name: "MailPrepSMTPTests", dependencies: ["MailPrepSMTP", .product(name: "NIOEmbedded", package: "swift-nio"),
                                                           .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "MailPrepIMAPTests", dependencies: ["MailPrepIMAP"]),
        .testTarget(name: "CLITests", dependencies: ["mailprep", "MailPrepCore"]),
    ],
    swiftLanguageModes: [.v6]
)
