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
    /// norandmaps: no address-space randomisation (randomize_va_space = 0).
    var norandmaps = false
}

var kernel_params = KernelParams()

@inline(__always) private func isspace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

/// next_arg() (lib/cmdline.c via kernel/params.c): the word starting at `i`
/// (after spaces), split at its first "=" into a name and a value; double
/// quotes group spaces into the word and are dropped around a value or a
/// whole word (`init="/bin/sh -c"`, `"a b"`). `hasValue` is false for a bare
/// word. Advances `i` past the word.
func next_arg(_ line: ByteString, _ i: inout Int) -> (param: ByteString, value: ByteString, hasValue: Bool)? {
    while i < line.count && isspace(line[i]) { i += 1 }
    guard i < line.count else { return nil }
    var s = i
    var inQuote = false, quoted = false
    if line[s] == 34 { s += 1; inQuote = true; quoted = true }
    var j = s
    var equals = -1
    while j < line.count {
        let c = line[j]
        if isspace(c) && !inQuote { break }
        if equals < 0 && c == 61 { equals = j }
        if c == 34 { inQuote.toggle() }
        j += 1
    }
    i = j < line.count ? j + 1 : j
    let endQuote = quoted && j > s && line[j - 1] == 34
    if equals < 0 {
        return (line.slice(s, endQuote ? j - 1 : j), .empty, false)
    }
    var vs = equals + 1, ve = j
    if vs < ve && line[vs] == 34 {
        vs += 1
        if line[j - 1] == 34 { ve = j - 1 }
    }
    if endQuote { ve = min(ve, j - 1) }
    return (line.slice(s, equals), line.slice(vs, max(vs, ve)), true)
}

/// parse_args(): `body(name, value)` for each word before "--" (value empty for bare words).
func parse_args(_ line: ByteString, _ body: (ByteString, ByteString) -> Void) {
    var i = 0
    while let (param, value, hasValue) = next_arg(line, &i) {
        if !hasValue && param.equals("--") { return }
        body(param, value)
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
        else if name.equals("norandmaps") { p.norandmaps = true }
    }
    return p
}

/// Parameters the kernel itself consumes; the rest go to init.
private func isKernelParam(_ name: ByteString) -> Bool {
    for k: StaticString in ["console", "quiet", "ktest", "init", "rdinit", "crashtest", "rdlist", "trace",
                            "lockcheck", "sched_seed", "tick_hz", "leakcheck", "loglevel", "earlyprintk", "panic", "nokaslr",
                            "norandmaps"] {
        if name.equals(k) { return true }
    }
    // Linux keeps dotted words (module.param) for itself too.
    return name.firstIndex(of: 46) != nil
}

/// Linux's rule for init's arguments: every word after "--" is an argument
/// (set_init_arg); before it, unknown bare words are arguments and unknown
/// name=value words environment variables (unknown_bootoption). A quoted
/// value comes without its quotes (repair_env_string): `a="b c"` is `a=b c`.
func init_arguments(_ line: ByteString, _ body: (ByteString, Bool) -> Void) {
    var afterDashes = false
    var i = 0
    while let (param, value, hasValue) = next_arg(line, &i) {
        if !afterDashes && !hasValue && param.equals("--") { afterDashes = true; continue }
        if !afterDashes && isKernelParam(param) { continue }
        if !hasValue { body(param, false); continue }
        // param=value, rebuilt in one piece.
        let n = param.count + 1 + value.count
        guard let mem = kmalloc(n) else { continue }
        let b = mem.assumingMemoryBound(to: UInt8.self)
        for k in 0..<param.count { b[k] = param[k] }
        b[param.count] = 61
        for k in 0..<value.count { b[param.count + 1 + k] = value[k] }
        body(ByteString(UnsafePointer(b), count: n), !afterDashes)
        kfree(mem)
    }
}
