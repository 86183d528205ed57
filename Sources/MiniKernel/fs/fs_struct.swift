// fs_struct: a task's root, working directory and umask. Linux: fs/fs_struct.c.
//
// Shared under CLONE_FS, copied at fork; each copy holds a reference on
// both directories, dropped by exit_fs() → free_fs_struct() with the last user.

import CShim
import Synchronization

final class FsStruct {
    /// Tasks sharing it (CLONE_FS).
    let users = Atomic<Int>(1)
    var root: Dentry? = nil
    var pwd: Dentry? = nil
    var umask: UInt32 = 0o022
    init() {}
}

/// copy_fs_struct(): fork's copy, holding its own references.
func copy_fs_struct(_ old: FsStruct) -> FsStruct {
    let fs = FsStruct()
    fs_lock.withLock {
        fs.root = old.root
        fs.pwd = old.pwd
        fs.umask = old.umask
        if let r = fs.root { dget_locked(r) }
        if let p = fs.pwd { dget_locked(p) }
    }
    return fs
}

/// free_fs_struct(), after the last user: the directories are released.
func put_fs_struct(_ fs: FsStruct) {
    guard fs.users.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
    fs_lock.withLock {
        if let r = fs.root { dput_locked(r) }
        if let p = fs.pwd { dput_locked(p) }
    }
    fs.root = nil
    fs.pwd = nil
    kfree_object(fs)
}

/// set_fs_pwd(): the new directory is already referenced by the caller.
func set_fs_pwd(_ fs: FsStruct, _ d: Dentry) {
    fs_lock.withLock {
        let old = fs.pwd
        fs.pwd = d
        if let old { dput_locked(old) }
    }
}

/// The root a fresh fs_struct starts from (init's, at boot).
func init_fs_struct() -> FsStruct {
    let fs = FsStruct()
    fs_lock.withLock {
        if let r = ramfs_root {
            dget_locked(r); dget_locked(r)
            fs.root = r
            fs.pwd = r
        }
    }
    fs.umask = 0o022
    return fs
}

/// umask(mask): the old mask.
func sys_umask(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let fs = current.fs else { return 0 }
    let old = fs.umask
    fs.umask = UInt32(regs.arg0 & 0o777)
    return Int(old)
}
