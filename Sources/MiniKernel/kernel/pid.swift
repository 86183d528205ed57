// Process ids. Linux: kernel/pid.c.
//
// alloc_pid() hands out the next free number after the last one given,
// wrapping at pid_max to RESERVED_PIDS, as Linux's cyclic IDR allocation
// does; a number becomes free again only when the task that had it is
// released (__unhash_process()) and no process group or session is still
// named after it: like Linux's struct pid, a number is reference counted —
// one reference for the task, one more for each group leader whose process
// group or session it is. find_task_by_vpid() looks a number up through a
// small hash table chained through the tasks.

import CShim

let PID_MAX_DEFAULT: Int32 = 32768
let RESERVED_PIDS: Int32 = 300
private let PIDHASH_SIZE = 256

struct PidAllocator {
    /// One bit per pid number: set while in use.
    var bitmap: UnsafeMutablePointer<UInt64>? = nil
    var lastPid: Int32 = 0
    var nrInUse = 0
    var hash: UnsafeMutablePointer<Task?>? = nil
    /// References to each pid number (task, process group, session).
    var refs: UnsafeMutablePointer<UInt16>? = nil
}

var pidAllocator = PidAllocator()
/// Guards pidAllocator. Linux: pidmap_lock.
let pidmapLock = SpinLock(name: "pidmap_lock")

func pidmap_init() {
    let words = Int(PID_MAX_DEFAULT) / 64
    guard let bm = kzalloc(words * 8), let h = kmalloc(PIDHASH_SIZE * MemoryLayout<Task?>.stride),
          let r = kzalloc(Int(PID_MAX_DEFAULT) * 2) else {
        panic("pidmap_init: no memory")
    }
    pidAllocator.refs = r.bindMemory(to: UInt16.self, capacity: Int(PID_MAX_DEFAULT))
    pidAllocator.bitmap = bm.bindMemory(to: UInt64.self, capacity: words)
    let table = h.bindMemory(to: Task?.self, capacity: PIDHASH_SIZE)
    table.initialize(repeating: nil, count: PIDHASH_SIZE)
    pidAllocator.hash = table
    // Pid 0 is the idle tasks'; never handed out.
    pidAllocator.bitmap?[0] |= 1
}

private func testBit(_ bm: UnsafeMutablePointer<UInt64>, _ n: Int32) -> Bool { bm[Int(n) / 64] & (1 << UInt64(n % 64)) != 0 }

/// alloc_pid(): the next free pid, or nil when all are taken (fork: -EAGAIN).
func alloc_pid() -> Int32? {
    pidmapLock.withLock {
        guard let bm = pidAllocator.bitmap else { return nil }
        var candidate = pidAllocator.lastPid
        for _ in 0..<Int(PID_MAX_DEFAULT) {
            candidate += 1
            if candidate >= PID_MAX_DEFAULT { candidate = RESERVED_PIDS }
            if !testBit(bm, candidate) {
                bm[Int(candidate) / 64] |= 1 << UInt64(candidate % 64)
                pidAllocator.refs?[Int(candidate)] = 1
                pidAllocator.lastPid = candidate
                pidAllocator.nrInUse += 1
                return candidate
            }
        }
        return nil
    }
}

/// The last pid handed out (idr_get_cursor() - 1), for /proc/loadavg.
func pid_last_allocated() -> Int32 { pidmapLock.withLock { pidAllocator.lastPid } }

/// get_pid(): one more user of the number (a process group or session).
func get_pid(_ pid: Int32) {
    guard pid > 0 else { return }      // pid 0 (the idle tasks', init's initial pgrp) is never freed
    pidmapLock.withLock {
        guard let refs = pidAllocator.refs, refs[Int(pid)] > 0 else { BUG("get_pid of free pid \(pid)") }
        refs[Int(pid)] += 1
    }
}

/// put_pid(): the last user frees the number for reuse.
func put_pid(_ pid: Int32) {
    guard pid > 0 else { return }
    pidmapLock.withLock {
        guard let bm = pidAllocator.bitmap, let refs = pidAllocator.refs, refs[Int(pid)] > 0 else {
            BUG("put_pid of free pid \(pid)")
        }
        refs[Int(pid)] -= 1
        if refs[Int(pid)] == 0 {
            bm[Int(pid) / 64] &= ~(1 << UInt64(pid % 64))
            pidAllocator.nrInUse -= 1
        }
    }
}

func nr_pids_in_use() -> Int { pidmapLock.withLock { pidAllocator.nrInUse } }

/// attach_pid(): make the task findable by its pid.
func attach_pid(_ t: Task) {
    pidmapLock.withLock {
        guard let h = pidAllocator.hash else { return }
        let b = Int(t.pid) % PIDHASH_SIZE
        t.pidHashNext = h[b]
        h[b] = t
    }
}

func detach_pid(_ t: Task) {
    pidmapLock.withLock {
        guard let h = pidAllocator.hash else { return }
        let b = Int(t.pid) % PIDHASH_SIZE
        if h[b] === t { h[b] = t.pidHashNext; t.pidHashNext = nil; return }
        var p = h[b]
        while let cur = p {
            if cur.pidHashNext === t { cur.pidHashNext = t.pidHashNext; t.pidHashNext = nil; return }
            p = cur.pidHashNext
        }
    }
}

/// find_task_by_vpid(): the task with this pid, if it has not been released.
func find_task_by_vpid(_ pid: Int32) -> Task? {
    pidmapLock.withLock {
        guard let h = pidAllocator.hash, pid > 0 else { return nil }
        var p = h[Int(pid) % PIDHASH_SIZE]
        while let cur = p {
            if cur.pid == pid { return cur }
            p = cur.pidHashNext
        }
        return nil
    }
}
