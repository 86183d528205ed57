// The kernel's types for signals: sets, queued information, actions.
// Linux: include/linux/signal.h, include/linux/signal_types.h.

/// A set of signals 1..64, bit (sig - 1).
struct SigSet: Equatable {
    var bits: UInt64 = 0
    init() {}
    init(bits: UInt64) { self.bits = bits }
    func contains(_ sig: Int32) -> Bool { bits & (1 << UInt64(sig - 1)) != 0 }
    mutating func insert(_ sig: Int32) { bits |= 1 << UInt64(sig - 1) }
    mutating func remove(_ sig: Int32) { bits &= ~(1 << UInt64(sig - 1)) }
    var isEmpty: Bool { bits == 0 }
    /// The set holding just `sig`. (No variadic `of(...)`: a variadic call
    /// allocates an array, and the kernel never frees those.)
    static func single(_ sig: Int32) -> SigSet { SigSet(bits: sigbit(sig)) }
}

@inline(__always) func sigbit(_ sig: Int32) -> UInt64 { 1 << UInt64(sig - 1) }

let SIG_KERNEL_ONLY_MASK = SigSet(bits: sigbit(SIGKILL) | sigbit(SIGSTOP))
let SIG_KERNEL_STOP_MASK = SigSet(bits: sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU))
let SIG_KERNEL_IGNORE_MASK = SigSet(bits: sigbit(SIGCONT) | sigbit(SIGCHLD) | sigbit(SIGWINCH) | sigbit(SIGURG))
let SIG_KERNEL_COREDUMP_MASK = SigSet(bits: sigbit(SIGQUIT) | sigbit(SIGILL) | sigbit(SIGTRAP) | sigbit(SIGABRT) | sigbit(SIGFPE) | sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGSYS) | sigbit(SIGXCPU) | sigbit(SIGXFSZ))
/// Synchronous signals are taken first (Linux's SYNCHRONOUS_MASK).
let SYNCHRONOUS_MASK = SigSet(bits: sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGILL) | sigbit(SIGTRAP) | sigbit(SIGFPE) | sigbit(SIGSYS))

func sig_kernel_ignore(_ sig: Int32) -> Bool { sig < SIGRTMIN && SIG_KERNEL_IGNORE_MASK.contains(sig) }
func sig_kernel_stop(_ sig: Int32) -> Bool { sig < SIGRTMIN && SIG_KERNEL_STOP_MASK.contains(sig) }
func sig_kernel_only(_ sig: Int32) -> Bool { sig == SIGKILL || sig == SIGSTOP }
func sig_kernel_coredump(_ sig: Int32) -> Bool { sig < SIGRTMIN && SIG_KERNEL_COREDUMP_MASK.contains(sig) }
func valid_signal(_ sig: Int32) -> Bool { sig >= 0 && sig <= _NSIG }

/// kernel_siginfo: what a handler with SA_SIGINFO sees.
struct KSigInfo {
    var signo: Int32 = 0
    var errno: Int32 = 0
    var code: Int32 = 0
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var status: Int32 = 0
    var addr: UInt64 = 0
    /// si_value (sigqueue-style senders: a siginfo given to pidfd_send_signal,
    /// a POSIX timer's sigev_value).
    var value: UInt64 = 0
    /// si_sys_private: which arming of a POSIX timer sent it (never copied out).
    var sysPrivate: Int32 = 0
    var utime: Int64 = 0
    var stime: Int64 = 0
    var isChld = false
    var isFault = false
}

/// One queued signal with its information (struct sigqueue).
final class SigQueue {
    var info: KSigInfo
    var next: SigQueue? = nil
    init(_ info: KSigInfo) { self.info = info }
}

/// struct sigpending: the pending set, and the queued information.
struct SigPending {
    var signal = SigSet()
    var list: SigQueue? = nil
}

struct KSigAction {
    var handler: UInt64 = SIG_DFL
    var flags: UInt64 = 0
    var restorer: UInt64 = 0
    var mask = SigSet()
}

/// A signal get_signal() hands to handle_signal() (struct ksignal).
struct KSignal {
    var sig: Int32 = 0
    var info = KSigInfo()
    var action = KSigAction()
}
