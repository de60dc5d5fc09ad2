@testable import MeshContainer
import Testing

/// What goes into meshbed's image: the libraries `ldd` lists, and the build file.
@Suite struct ImageBuilderTests {
    @Test func librariesAreEveryResolvedPathAndTheLoader() throws {
        let output = """
            \tlinux-vdso.so.1 (0x00007ffd3a5f2000)
            \tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f30e28fb000)
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f30e0e1e000)
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f30e29b7000)
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f30e0e1e000)

            """
        #expect(try ImageBuilder.libraries(fromLDD: output) == [
            "/lib/x86_64-linux-gnu/libssl.so.3", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
        ])
        #expect(throws: ContainerError("ldd: libmissing.so.1 => not found")) {
            try ImageBuilder.libraries(fromLDD: "\tlibmissing.so.1 => not found\n")
        }
    }

    @Test func theImageIsMeshbedAlone() {
        let file = ImageBuilder.containerfile()
        #expect(file.contains("FROM scratch\nCOPY root/ /\nENTRYPOINT [\"/usr/bin/meshbed\"]\n"))
        #expect(!file.contains("RUN "))
    }
}
