// The options of wait4(2) and waitid(2), and waitid's id types, Linux's
// values. Linux: include/uapi/linux/wait.h.

let WNOHANG: UInt64 = 0x0000_0001
let WUNTRACED: UInt64 = 0x0000_0002
let WSTOPPED: UInt64 = WUNTRACED
let WEXITED: UInt64 = 0x0000_0004
let WCONTINUED: UInt64 = 0x0000_0008
let WNOWAIT: UInt64 = 0x0100_0000
let __WNOTHREAD: UInt64 = 0x2000_0000
let __WALL: UInt64 = 0x4000_0000
let __WCLONE: UInt64 = 0x8000_0000

let P_ALL: UInt64 = 0, P_PID: UInt64 = 1, P_PGID: UInt64 = 2, P_PIDFD: UInt64 = 3
