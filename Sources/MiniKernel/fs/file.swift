// Open files. Linux: fs/file.c (files_struct), fs/fs_struct.c.
//
// MiniKernel has one kind of open file, the console; a FilesStruct records
// which of the first descriptors are open on it. It is still a shared,
// reference-counted object as in Linux, because exit_files() and
// CLONE_FILES depend on exactly that shape.

import CShim

let NR_OPEN_DEFAULT = 64

final class FilesStruct {
    /// Bit n: descriptor n is open on the console.
    var openFds: UInt64 = 0b111
    var count = 1
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
    f.count -= 1
    if f.count == 0 { kfree_object(f) }
}

/// fs_struct: root and working directory. There is one directory tree and
/// no chdir yet, so only the sharing is real.
final class FsStruct {
    var users = 1
    init() {}
}

func put_fs_struct(_ fs: FsStruct) {
    fs.users -= 1
    if fs.users == 0 { kfree_object(fs) }
}
