// The kernel command line. Linux: kernel/params.c, init/main.c (parse_args,
// obsolete_checksetup).
//
// The line is split on spaces into `name` or `name=value` words; the words
// the kernel knows are collected into `KernelParams`. Unknown words are left
// alone (Linux passes them to init as arguments or environment).

import CShim
struct KernelParams {
    var quiet = false
    var ktest = false
    var ktestFilter: ByteString = .empty
    var initPath: ByteString = .empty
    var rdinitPath: ByteString = .empty
    var crashtest: ByteString = .empty
    var rdlist = false
    var trace: ByteString = .empty
    var lockcheck = false
    var leakcheck = false
    var schedSeed: Int? = nil
    /// tick_hz=N: the timer tick's rate (default HZ = 250).
    var tickHz: Int? = nil
    /// loglevel=N: the console log level (after `quiet`, as when Linux's
    /// command line has both in that order).
    var loglevel: Int? = nil
    /// smpboot.timeout_ms=N: how long the boot CPU waits for each AP (10 s).
    var smpbootTimeoutMs: Int? = nil
}

var kernel_params = KernelParams()

/// Calls `body(name, value)` for each word of `line`; value is empty for bare words.
func parse_args(_ line: ByteString, _ body: (ByteString, ByteString) -> Void) {
    var i = 0
    while i < line.count {
        while i < line.count && line[i] == 32 { i += 1 }
        let start = i
        while i < line.count && line[i] != 32 { i += 1 }
        if i > start {
            let word = line.slice(start, i)
            if let eq = word.firstIndex(of: 61) {       // "="
                body(word.slice(0, eq), word.slice(eq + 1, word.count))
            } else {
                body(word, .empty)
            }
        }
    }
}

func parse_kernel_params(_ line: ByteString) -> KernelParams {
    var p = KernelParams()
    parse_args(line) { name, value in
        if name.equals("quiet") { p.quiet = true }
        else if name.equals("ktest") { p.ktest = true; p.ktestFilter = value }
        else if name.equals("init") { p.initPath = value }
        else if name.equals("rdinit") { p.rdinitPath = value }
        else if name.equals("crashtest") { p.crashtest = value }
        else if name.equals("rdlist") { p.rdlist = true }
        else if name.equals("trace") { p.trace = value }
        else if name.equals("lockcheck") { p.lockcheck = true }
        else if name.equals("leakcheck") { p.leakcheck = true }
        else if name.equals("sched_seed") { p.schedSeed = value.integerValue }
        else if name.equals("tick_hz") { p.tickHz = value.integerValue }
        else if name.equals("loglevel") { p.loglevel = value.integerValue }
        else if name.equals("smpboot.timeout_ms") { p.smpbootTimeoutMs = value.integerValue }
    }
    return p
}

/// Parameters the kernel itself consumes; the rest go to init.
private func isKernelParam(_ name: ByteString) -> Bool {
    for k: StaticString in ["console", "quiet", "ktest", "init", "rdinit", "crashtest", "rdlist", "trace",
                            "lockcheck", "sched_seed", "tick_hz", "leakcheck", "loglevel", "earlyprintk", "panic", "nokaslr"] {
        if name.equals(k) { return true }
    }
    // Linux keeps dotted words (module.param) for itself too.
    return name.firstIndex(of: 46) != nil
}

/// Linux's rule for init's arguments: every word after "--" is an argument;
/// before it, unknown bare words are arguments and unknown name=value words
/// are environment variables.
func init_arguments(_ line: ByteString, _ body: (ByteString, Bool) -> Void) {
    var afterDashes = false
    var i = 0
    while i < line.count {
        while i < line.count && line[i] == 32 { i += 1 }
        let start = i
        while i < line.count && line[i] != 32 { i += 1 }
        guard i > start else { continue }
        let word = line.slice(start, i)
        if afterDashes { body(word, false); continue }
        if word.equals("--") { afterDashes = true; continue }
        if let eq = word.firstIndex(of: 61) {
            if !isKernelParam(word.slice(0, eq)) { body(word, true) }
        } else if !isKernelParam(word) {
            body(word, false)
        }
    }
}
