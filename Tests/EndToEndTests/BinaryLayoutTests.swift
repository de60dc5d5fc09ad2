import Foundation
import Testing

/// What keeps a sidecar's resident memory small (issue 9: under 20 MB with its certificates
/// loaded, Benchmarks/mtls-rss.sh), checked on the built binary: it carries no CoreFoundation
/// (swift-corelibs-foundation's `Foundation`, whose constructor runs in every process that
/// links it and whose code, with ICU's, stayed resident in every sidecar; meshbed's sources
/// import FoundationEssentials only).
@Suite struct BinaryLayoutTests {
    @Test func noCoreFoundationLinked() throws {
        // Dynamically linked (debug builds): no libFoundation.so among the needed libraries.
        let dynamic = try Harness.run("readelf", ["-d", Harness.meshbed])
        #expect(dynamic.status == 0)
        #expect(!dynamic.stdout.contains("[libFoundation.so]"), "meshbed needs libFoundation.so")
        #expect(!dynamic.stdout.contains("[libFoundationInternationalization.so]"), "meshbed needs libFoundationInternationalization.so")
        // Statically linked (release builds with --static-swift-stdlib): no CoreFoundation
        // constructor in the symbol table (grep -c prints 0 and exits 1 when nothing matches).
        let constructor = try Harness.run("grep", ["-c", "-a", "__CFInitialize", Harness.meshbed])
        #expect(constructor.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "CoreFoundation is linked in")
    }
}
