import Foundation
import Testing

/// What only pid 1 shows, checked against Debian's Linux booted in the same QEMU with the same
/// initramfs and command line (`LinuxQEMU`, the second oracle: natively nothing is pid 1 with
/// the console on fds 0-2). Each case boots both kernels once per -smp; the comparison is of
/// what user space saw and of init's exit line (`PidOneView`), with a diff on failure.
@Suite("Linux in QEMU: what pid 1 sees")
struct LinuxOracleTests {
    /// Userland/init_view.c prints argv, envp, its ids, cwd, umask, fds 0-3 (type, device,
    /// mode, open flags), TCGETS on the console and, with "dev", the archive's /dev nodes
    /// (used: a write to /dev/null, a read from /dev/zero); it exits with 16 * argc + envc
    /// = 0x54, a code above 63 (MiniKernel's QEMU status 129). The command line has an unknown
    /// name=value word, a quoted one, an unknown bare word and words after "--", one quoted
    /// (Linux's next_arg and unknown_bootoption decide which are argv and which envp).
    @Test("init_view: argv, envp, fds 0-2 on the console, /dev nodes, exit line", arguments: [1, 4])
    func initView(smp: Int) async throws {
        let cpio = try await Initramfs.make(files: [
            (dest: "/init", src: Repo.userland("init_view").path),
            (dest: "/dev/console", src: "c:600:5:1"),
            (dest: "/dev/null", src: "c:666:1:3"),
            (dest: "/dev/zero", src: "c:666:1:5"),
            (dest: "/dev/tty", src: "c:666:5:0"),
        ])
        defer { Initramfs.discard(cpio) }
        let append = "console=ttyS0 quiet panic=-1 init=/init foo=bar baz \"q=a b\" -- x \"y z\" dev"
        let (mk, _) = try await expectSameAsLinux(initrd: URL(fileURLWithPath: cpio), append: append, smp: smp)
        expect(mk, mk.outcome == .initExitedHigh, "init exits with 0x54: MiniKernel's status should be 129")
    }

    /// Userland/tty_ctl.c: the terminal's ioctls, errors and job-control rules that need no
    /// typing — bad pointers, non-terminals, a session taking ttyS0 by opening it, SIGTTIN and
    /// SIGTTOU stops, EIO for ignored SIGTTIN and orphaned groups, TIOCSPGRP's checks,
    /// TIOCNOTTY, TIOCVHANGUP, and a session leader exiting with its terminal (its foreground
    /// group's SIGHUP, the hung-up files) — as init on both kernels, leakcheck clean here.
    @Test("tty_ctl: terminal ioctls, sessions and job control without typing", arguments: [1, 4])
    func ttyControl(smp: Int) async throws {
        let cpio = try await Initramfs.make(files: [
            (dest: "/init", src: Repo.userland("tty_ctl").path),
            (dest: "/dev/console", src: "c:600:5:1"),
            (dest: "/dev/ttyS0", src: "c:660:4:64"),
            (dest: "/dev/tty", src: "c:666:5:0"),
            (dest: "/dev/null", src: "c:666:1:3"),
        ])
        defer { Initramfs.discard(cpio) }
        let (mk, _) = try await expectSameAsLinux(initrd: URL(fileURLWithPath: cpio),
                                                  append: "console=ttyS0 quiet panic=-1 leakcheck init=/init", smp: smp)
        expectOutcome(mk, .poweroff)                        // init exited 0
        expectNoLeaks(mk)
    }

    /// Debian's busybox as init from rdinit=, with its argument in double quotes (one word
    /// with spaces and a semicolon, next_arg's quotes dropped), environment words before "--",
    /// and an exit code the shell passes on: the output of `env`, the positional parameters
    /// and "Attempted to kill init! exitcode=0x00000300" must be Linux's.
    @Test("busybox sh as init: quoted -c script, environment, exit 3", arguments: [1, 4])
    func busyboxInit(smp: Int) async throws {
        guard BusyboxTests.present() else { return }
        // /tcdrain before the exit: Linux's console must have sent the output before the
        // panic lines (Userland/tcdrain.c).
        let cpio = try await BusyboxTests.initramfs(["/tcdrain=" + Repo.userland("tcdrain").path])
        defer { TempDir.remove(cpio.deletingLastPathComponent()) }
        let append = "console=ttyS0 quiet panic=-1 foo=bar \"q=a b\" rdinit=/bin/sh -- "
            + "-c \"echo $0 $#: [$1] [$2]; env | sort; pwd; /tcdrain; exit 3\" zero \"one two\" three"
        let (mk, _) = try await expectSameAsLinux(initrd: cpio, append: append, smp: smp)
        expectOutcome(mk, .initExited(3))
    }
}
