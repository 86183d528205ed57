// System V IPC's common part: keys, ids and permissions. Linux: ipc/util.c,
// include/linux/ipc.h, include/uapi/linux/ipc.h, include/uapi/asm-generic/ipcbuf.h.
//
// A semaphore array (ipc/sem.swift) or a shared memory segment
// (ipc/shm.swift) is found by a key a program chooses, or made private with
// IPC_PRIVATE, and is then named by an id. The id is (seq << 15) + index:
// the index is the lowest one free, and seq counts up each time an index is
// reused below the last one handed out, so that a stale id names nothing
// (ipc_idr_alloc(); ipc_checkid()). Objects outlive their creator: they are
// gone only when IPC_RMID asks (a segment still attached waits for its last
// detach). There is one IPC namespace, and every task is root, which has
// CAP_IPC_OWNER: ipcperms() lets everything through, so the mode bits are
// kept and reported but never refuse.
//
// Each kind keeps its objects on a list sorted by index, under the kind's
// one lock (Linux: the ids' rwsem, an IDR, and a spinlock per object);
// programs have a handful, so a walk finds any of them.

import CShim

let IPC_PRIVATE: Int32 = 0
let IPC_CREAT: Int32 = 0o1000, IPC_EXCL: Int32 = 0o2000, IPC_NOWAIT: Int32 = 0o4000
let IPC_RMID: Int32 = 0, IPC_SET: Int32 = 1, IPC_STAT: Int32 = 2, IPC_INFO: Int32 = 3
/// The permission bits IPC_SET may change (S_IRWXUGO).
let S_IRWXUGO: UInt32 = 0o777

/// IPCMNI_SHIFT: the index's bits in an id; the sequence number is above them.
let IPCMNI_SHIFT: Int32 = 15
let IPCMNI: Int = 1 << 15
let IPCID_SEQ_MAX: Int32 = Int32.max >> IPCMNI_SHIFT

/// struct kern_ipc_perm: what every IPC object has.
struct KernIpcPerm {
    var id: Int32 = 0
    var key: Int32 = 0
    var uid: UInt32 = 0, gid: UInt32 = 0, cuid: UInt32 = 0, cgid: UInt32 = 0
    var mode: UInt32 = 0
    var seq: Int32 = 0
    /// !ipc_valid_object(): removed, though a sleeper may still hold it.
    var deleted = false

    var index: Int { Int(id) & (IPCMNI - 1) }
}

/// struct ipc64_perm, as user space reads it (48 bytes on x86-64).
struct Ipc64Perm {
    var key: Int32 = 0
    var uid: UInt32 = 0, gid: UInt32 = 0, cuid: UInt32 = 0, cgid: UInt32 = 0
    var mode: UInt32 = 0
    var seq: UInt16 = 0
    var pad2: UInt16 = 0
    var unused1: UInt64 = 0, unused2: UInt64 = 0
}

/// An object on an ids list: semaphore arrays and shared memory segments.
protocol IpcObject: AnyObject {
    var perm: KernIpcPerm { get set }
    var ipcNext: Self? { get set }
}

/// struct ipc_ids: one kind's objects. Guarded by the kind's lock.
struct IpcIds<T: IpcObject> {
    /// Sorted by index.
    var head: T? = nil
    var inUse = 0
    var seq: Int32 = 0
    var lastIdx = -1
}

/// ipc_addid(): give `new` the lowest free index and an id; false when
/// `limit` objects already exist (the caller answers ENOSPC).
func ipc_addid<T: IpcObject>(_ ids: inout IpcIds<T>, _ new: T, limit: Int) -> Bool {
    guard ids.inUse < limit else { return false }
    var idx = 0
    var prev: T? = nil
    var p = ids.head
    while let cur = p, cur.perm.index == idx { prev = cur; idx += 1; p = cur.ipcNext }
    guard idx < min(limit, IPCMNI) else { return false }
    // An index at or below the last one given out: a new generation.
    if idx <= ids.lastIdx {
        ids.seq += 1
        if ids.seq > IPCID_SEQ_MAX { ids.seq = 0 }
    }
    ids.lastIdx = idx
    new.perm.seq = ids.seq
    new.perm.id = (ids.seq << IPCMNI_SHIFT) + Int32(idx)
    new.ipcNext = p
    if let prev { prev.ipcNext = new } else { ids.head = new }
    ids.inUse += 1
    return true
}

/// Takes `obj` off a singly linked list that starts at `head` and is chained
/// through the link `next` reads and `setNext` writes (the ids' list, an
/// array's and a process's undo lists; an inode's record locks, /proc's
/// mounts). The lists are short: a program has a handful of each.
func slist_remove<T: AnyObject>(_ head: inout T?, _ obj: T, _ next: (T) -> T?, _ setNext: (T, T?) -> Void) {
    if head === obj {
        head = next(obj)
    } else {
        var p = head
        while let cur = p {
            if next(cur) === obj { setNext(cur, next(obj)); break }
            p = next(cur)
        }
    }
    setNext(obj, nil)
}

/// ipc_rmid(): off the list; the id names nothing from now on.
func ipc_rmid<T: IpcObject>(_ ids: inout IpcIds<T>, _ obj: T) {
    slist_remove(&ids.head, obj, { $0.ipcNext }, { $0.ipcNext = $1 })
    obj.perm.deleted = true
    ids.inUse -= 1
}

/// The first object on the list that `match` accepts.
private func ipc_first<T: IpcObject>(_ ids: IpcIds<T>, where match: (T) -> Bool) -> T? {
    var p = ids.head
    while let cur = p {
        if match(cur) { return cur }
        p = cur.ipcNext
    }
    return nil
}

/// ipc_findkey(): the object made with `key`.
func ipc_findkey<T: IpcObject>(_ ids: IpcIds<T>, _ key: Int32) -> T? {
    ipc_first(ids) { $0.perm.key == key }
}

/// ipc_obtain_object_check(): the object named by `id`, if its index holds
/// one of the same generation (ipc_checkid()). Linux answers EINVAL otherwise.
func ipc_obtain_object_check<T: IpcObject>(_ ids: IpcIds<T>, _ id: Int32) -> T? {
    guard id >= 0 else { return nil }
    let idx = Int(id) & (IPCMNI - 1)
    var p = ids.head
    while let cur = p, cur.perm.index <= idx {
        if cur.perm.index == idx { return cur.perm.id == id ? cur : nil }
        p = cur.ipcNext
    }
    return nil
}

/// ipc_obtain_object_idr(): the object at index `idx`, whatever its generation
/// (SEM_STAT, SHM_STAT take an index, not an id).
func ipc_obtain_object_idr<T: IpcObject>(_ ids: IpcIds<T>, _ idx: Int) -> T? {
    ipc_first(ids) { $0.perm.index == idx }
}

/// The object an IPC_STAT (by id) or a SEM_STAT/SHM_STAT (by index) names,
/// and what the call answers for it: 0, or the id.
func ipc_stat_lookup<T: IpcObject>(_ ids: IpcIds<T>, _ id: Int32, byIndex: Bool) -> (object: T, answer: Int32)? {
    guard let obj = byIndex ? ipc_obtain_object_idr(ids, Int(id)) : ipc_obtain_object_check(ids, id) else { return nil }
    return (obj, byIndex ? obj.perm.id : 0)
}

/// ipc_get_maxidx(): the highest index in use, -1 when none (IPC_INFO's answer).
func ipc_get_maxidx<T: IpcObject>(_ ids: IpcIds<T>) -> Int {
    var maxIdx = -1
    var p = ids.head
    while let cur = p { maxIdx = cur.perm.index; p = cur.ipcNext }
    return maxIdx
}

/// What ipcget() found or made: an id, or an errno.
enum IpcGetResult {
    case id(Int32)
    case error(Errno)

    var syscallReturn: Int {
        switch self {
        case .id(let id): return Int(id)
        case .error(let e): return e.negated
        }
    }
}

/// ipcget(): the common shape of semget() and shmget(). IPC_PRIVATE always
/// makes a new object; a key finds its object, or makes one with IPC_CREAT;
/// IPC_CREAT|IPC_EXCL refuses a key already taken. `more` is the kind's own
/// check of an existing object (ipc_check_perms() with its more_checks()).
/// The kind's lock is held across the lookup and the creation, so two
/// callers with the same key get one object.
func ipcget<T: IpcObject>(_ ids: inout IpcIds<T>, key: Int32, flags: Int32,
                          new: (inout IpcIds<T>) -> IpcGetResult, more: (T) -> Errno?) -> IpcGetResult {
    if key == IPC_PRIVATE { return new(&ids) }
    guard let obj = ipc_findkey(ids, key) else {
        return flags & IPC_CREAT != 0 ? new(&ids) : .error(.ENOENT)
    }
    if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 { return .error(.EEXIST) }
    // ipcperms(): root (CAP_IPC_OWNER) may use any object, whatever its mode.
    if let e = more(obj) { return .error(e) }
    return .id(obj.perm.id)
}

/// ipc_init_perm: a new object's key, owner (root) and mode.
func ipc_init_perm(_ perm: inout KernIpcPerm, key: Int32, flags: Int32) {
    perm.key = key
    perm.mode = UInt32(flags) & S_IRWXUGO
    perm.uid = 0; perm.gid = 0; perm.cuid = 0; perm.cgid = 0
}

/// kernel_to_ipc64_perm().
func kernel_to_ipc64_perm(_ perm: KernIpcPerm) -> Ipc64Perm {
    Ipc64Perm(key: perm.key, uid: perm.uid, gid: perm.gid, cuid: perm.cuid, cgid: perm.cgid,
              mode: perm.mode, seq: UInt16(truncatingIfNeeded: perm.seq))
}

/// ipc_update_perm(): IPC_SET's change: the owner and the permission bits.
func ipc_update_perm(_ from: Ipc64Perm, _ perm: inout KernIpcPerm) {
    perm.uid = from.uid
    perm.gid = from.gid
    perm.mode = (perm.mode & ~S_IRWXUGO) | (from.mode & S_IRWXUGO)
}

/// ipc_set_key_private(): a segment marked for destruction keeps its id but
/// can no longer be found by its key.
func ipc_set_key_private(_ perm: inout KernIpcPerm) {
    perm.key = IPC_PRIVATE
}

/// The real-time clock's seconds, for the objects' times (from boot: no RTC).
func ipc_now() -> Int64 { current_time().sec }
