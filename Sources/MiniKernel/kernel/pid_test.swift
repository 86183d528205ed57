// Self-tests: the pid allocator behaves as Linux's — increasing, wrapping at
// pid_max to RESERVED_PIDS, a number reused only once every reference to it
// (task, process group, session) is gone.

import CShim

let pid_suite = KUnitSuite(name: "pid", cases: [
    KUnitCase(name: "increasing_then_wrapping") { t in
        let saved = pidmapLock.withLock { pidAllocator.lastPid }
        let inUse = nr_pids_in_use()
        pidmapLock.withLock { pidAllocator.lastPid = PID_MAX_DEFAULT - 3 }
        let a = alloc_pid() ?? -1, b = alloc_pid() ?? -1, c = alloc_pid() ?? -1
        t.expectEqual(a, PID_MAX_DEFAULT - 2, "next pid")
        t.expectEqual(b, PID_MAX_DEFAULT - 1, "the last pid below pid_max")
        t.expect(c >= RESERVED_PIDS && c < RESERVED_PIDS + 50, "after pid_max the search starts again at RESERVED_PIDS (got \(c))")
        for p in [a, b, c] where p > 0 { put_pid(p) }
        t.expectEqual(nr_pids_in_use(), inUse, "pids in use")
        pidmapLock.withLock { pidAllocator.lastPid = saved }
    },
    KUnitCase(name: "reused_only_when_unreferenced") { t in
        let saved = pidmapLock.withLock { pidAllocator.lastPid }
        guard let p = alloc_pid() else { t.expect(false, "no pid"); return }
        get_pid(p)                     // a process group named after it
        put_pid(p)                     // its task is released
        pidmapLock.withLock { pidAllocator.lastPid = p - 1 }
        let q = alloc_pid() ?? -1
        t.expect(q != p, "a pid still naming a process group is not handed out")
        put_pid(p)                     // the group is gone too
        pidmapLock.withLock { pidAllocator.lastPid = p - 1 }
        let r = alloc_pid() ?? -1
        t.expectEqual(r, p, "now it is free")
        put_pid(q); put_pid(r)
        pidmapLock.withLock { pidAllocator.lastPid = saved }
    },
])
