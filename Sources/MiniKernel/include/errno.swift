// Error numbers, Linux's values (include/uapi/asm-generic/errno-base.h, errno.h).
// A system call returns -errno in RAX on failure, exactly as Linux does.

enum Errno: Int {
    case EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7
    case ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13
    case EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21
    case EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOSPC = 28, ESPIPE = 29, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36
    case EXDEV = 18, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, EROFS = 30, EMLINK = 31, EPIPE = 32
    case ENOTEMPTY = 39, ELOOP = 40, EIDRM = 43, ENODATA = 61, ELIBBAD = 80, EOVERFLOW = 75, EOPNOTSUPP = 95, ETIMEDOUT = 110
    case ENOSYS = 38, ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514
    case ERESTART_RESTARTBLOCK = 516

    /// The value a system call puts in RAX.
    var negated: Int { -rawValue }
}
