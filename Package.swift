// swift-tools-version:6.0
//
// Host-side test harness for MiniKernel.
//
// The kernel itself is built by the Makefile (Embedded Swift, freestanding),
// not by SwiftPM. This package holds only the test target, which runs
// `make -s all` once and then boots build/minikernel under QEMU.
//
//     swift test                      # everything
//     swift test --filter KTAP        # one suite
import PackageDescription

let package = Package(
    name: "MiniKernelTests",
    targets: [
        .testTarget(
            name: "QEMUTests",
            path: "Tests/QEMUTests"
        )
    ]
)
