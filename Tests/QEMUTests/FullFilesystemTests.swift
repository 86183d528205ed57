import Testing

/// A full RAM filesystem: writes end in ENOSPC, never a panic, and nothing written
/// before is lost (`Userland/fill_fs.c`; MiniKernel only — natively it would fill the
/// host's disk). With `leakcheck`, every counter must come back once the files are gone.
@Suite("Full filesystem")
struct FullFilesystemTests {
    @Test("ENOSPC when RAM runs out; earlier files intact; no leak", arguments: [1, 4])
    func fill(smp: Int) async throws {
        let run = try await bootProgram("fill_fs", smp: smp, append: "leakcheck", timeout: 120)
        let expected = """
            fill_fs: start
            first fill stops with ENOSPC after more than 64 MiB: yes
            a second file, until refused too: ENOSPC
            2000 more empty files, or a clean refusal: yes
            the file written first is intact: yes
            after removing everything the first file's size fits again: yes
            DONE

            """
        expect(run.boot, run.output == expected, "output:\n\(run.output)")
        expectOutcome(run.boot, .poweroff)
        if let line = run.boot.kernelMessages.last(where: { $0.hasPrefix("leakcheck:") }), let check = LeakCheck(line) {
            let leaks = check.counters.filter { $0.before != $0.after }
            expect(run.boot, leaks.isEmpty, "leaked: " + leaks.map { "\($0.name) \($0.before)->\($0.after)" }.joined(separator: ", "))
        } else {
            Issue.record(Comment(rawValue: "no leakcheck line\n\(run.boot)"))
        }
    }
}
