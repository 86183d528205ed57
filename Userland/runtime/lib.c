/*
 * lib.c - minimal freestanding helpers for MiniKernel user programs.
 *
 * Built with -fno-tree-loop-distribute-patterns so that GCC does not turn the
 * loops of memset/memcpy below into calls to themselves.  GCC may emit calls
 * to memset/memcpy/memmove/memcmp from any program, so they must exist here.
 */
#include <stdarg.h>
#include "lib.h"
#include "fs.h"

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

char *strcpy(char *d, const char *s)
{
    char *r = d;
    while ((*d++ = *s++))
        ;
    return r;
}

const char *strstr_simple(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncmp(hay, needle, n) == 0)
            return hay;
    return n ? NULL : hay;
}

int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

/* Write all of buf to fd 1; a short write is continued, an error ends it. */
static void write_all(const char *buf, size_t n)
{
    while (n) {
        long r = sys_write(1, buf, n);
        if (r <= 0)
            return;
        buf += r;
        n -= (size_t)r;
    }
}

void print(const char *s)
{
    write_all(s, strlen(s));
}

/* ---- formatting ---- */

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, unsigned long v, int base, int neg, int width, char pad)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    int total = n + neg;
    if (neg && pad == '0')
        put(o, '-');
    for (; total < width; total++)
        put(o, pad);
    if (neg && pad != '0')
        put(o, '-');
    while (n)
        put(o, tmp[--n]);
}

static void vformat(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng = 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
            put_num(o, u, 10, v < 0, width, pad);
            break;
        }
        case 'u': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            put_num(o, v, 10, 0, width, pad);
            break;
        }
        case 'x': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            put_num(o, v, 16, 0, width, pad);
            break;
        }
        case 'o': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            put_num(o, v, 8, 0, width, pad);
            break;
        }
        case 'p':
            put(o, '0');
            put(o, 'x');
            put_num(o, (unsigned long)va_arg(ap, void *), 16, 0, width, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)strlen(s);
            for (; len < width; len++)
                put(o, ' ');
            while (*s)
                put(o, *s++);
            break;
        }
        case 'c':
            put(o, (char)va_arg(ap, int));
            break;
        case '%':
            put(o, '%');
            break;
        case '\0':
            return;
        default:
            put(o, '%');
            put(o, *fmt);
            break;
        }
    }
}

int format(char *buf, size_t size, const char *fmt, ...)
{
    struct out o = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    vformat(&o, fmt, ap);
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

void say(const char *fmt, ...)
{
    char buf[SAY_BUF];
    struct out o = { buf, sizeof buf, 0 };
    va_list ap;
    va_start(ap, fmt);
    vformat(&o, fmt, ap);
    va_end(ap);
    size_t n = o.len < sizeof buf ? o.len : sizeof buf - 1;
    write_all(buf, n);
}

void print_int(long v)
{
    say("%ld", v);
}

void fail(const char *msg)
{
    say("FAIL: %s\n", msg);
    sys_exit_group(1);
}

const char *errname(long ret)
{
    static const char *names[] = {
        [EPERM] = "EPERM",     [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",   [EINTR] = "EINTR",
        [EIO] = "EIO",         [E2BIG] = "E2BIG",   [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF",
        [ECHILD] = "ECHILD",   [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
        [EFAULT] = "EFAULT",   [EBUSY] = "EBUSY",   [EEXIST] = "EEXIST", [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR",   [EINVAL] = "EINVAL", [ENOSYS] = "ENOSYS",
        [ETIMEDOUT] = "ETIMEDOUT", [ENXIO] = "ENXIO", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
        [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE",
        [ENAMETOOLONG] = "ENAMETOOLONG", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP", [ENODEV] = "ENODEV",
        [EFBIG] = "EFBIG",   [EIDRM] = "EIDRM",
    };
    /* The kernel-internal restart codes must never reach user space; name them if they do. */
    static const char *restart_names[] = { "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND",
                                           "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK" };
    static char other[32];
    if (ret == 0)
        return "0";
    if (ret < 0 && -ret < (long)(sizeof names / sizeof names[0]) && names[-ret])
        return names[-ret];
    if (ret <= -512 && ret >= -516)
        return restart_names[-ret - 512];
    if (ret < 0)
        format(other, sizeof other, "errno %ld", -ret);
    else
        format(other, sizeof other, "ok(%ld)", ret);
    return other;
}

int wait_for(long pid)
{
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    if (r != pid) {
        say("wait4 returned %s\n", errname(r));
        fail("wait_for");
    }
    return status;
}

long must_fork(void)
{
    long pid = sys_fork();
    if (pid < 0) {
        say("fork returned %s\n", errname(pid));
        fail("fork");
    }
    return pid;
}

long reexec_self(char *self, const char *arg)
{
    char *args[] = { self, "after-exec", (char *)arg, NULL };
    char *env[] = { NULL };
    return sys_execve(self, args, env);
}

long parse_long(const char *s)
{
    long sign = 1, v = 0;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

int on_minikernel(void)
{
    static struct utsname u;
    if (sys_uname(&u) != 0)
        fail("uname");
    return ends_with(u.release, "minikernel");
}

/* __start_main: every program starts with the signal state init starts
 * with — nothing blocked, every action the default. A parent (the test
 * harness running the native side, a shell) may leave signals blocked or
 * ignored, and execve keeps both; without this, native and MiniKernel runs
 * of the same scenario would start from different states. */
int main(int argc, char **argv, char **envp);

int __start_main(int argc, char **argv, char **envp)
{
    unsigned long empty = 0;
    syscall4(14 /* rt_sigprocmask */, 2 /* SIG_SETMASK */, (long)&empty, 0, 8);
    unsigned long dfl[4] = { 0, 0, 0, 0 };          /* handler SIG_DFL, no flags, no mask */
    for (long sig = 1; sig < 32; sig++)
        if (sig != 9 && sig != 19)                  /* SIGKILL, SIGSTOP cannot be changed */
            syscall4(13 /* rt_sigaction */, sig, (long)dfl, 0, 8);
    return main(argc, argv, envp);
}
