// Open files. Linux: fs/file.c (files_struct), fs/fs_struct.c.
//
// MiniKernel has one kind of open file, the console; a FilesStruct records
// which of the first descriptors are open on it. It is still a shared,
// reference-counted object as in Linux, because exit_files() and
// CLONE_FILES depend on exactly that shape.

import CShim
import Synchronization

let NR_OPEN_DEFAULT = 64

final class FilesStruct {
    /// Bit n: descriptor n is open on the console.
    var openFds: UInt64 = 0b111
    /// Tasks sharing the table (CLONE_FILES).
    let count = Atomic<Int>(1)
    init() {}
}

/// dup_fd(): fork's private copy of the table.
func dup_fd(_ old: FilesStruct) -> FilesStruct {
    let f = FilesStruct()
    f.openFds = old.openFds
    return f
}

/// put_files_struct(): the last user frees the table.
func put_files_struct(_ f: FilesStruct) {
    if f.count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { kfree_object(f) }
}

/// fs_struct: root and working directory. There is one directory tree and
/// no chdir yet, so only the sharing is real.
final class FsStruct {
    /// Tasks sharing it (CLONE_FS).
    let users = Atomic<Int>(1)
    init() {}
}

func put_fs_struct(_ fs: FsStruct) {
    if fs.users.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { kfree_object(fs) }
}
