/*
 * gen_init_cpio - write a cpio "newc" (magic 070701) archive for MiniKernel's initramfs.
 *
 * Named after Linux's usr/gen_init_cpio.c, but much simpler (and written from scratch):
 *
 *     gen_init_cpio OUT.cpio DEST=SRC [DEST=SRC ...]
 *
 * For every DEST (an absolute path inside the archive, e.g. /init or /bin/child) the parent
 * directories not yet written are emitted first (mode 040755, nlink 2), then the file itself
 * (mode 0100755, nlink 1, content of the host file SRC).  Names are stored without the leading
 * slash.  uid, gid, mtime and device numbers are 0 and inode numbers count up from 1, so the
 * output depends only on the arguments and the file contents.  The archive ends with the
 * TRAILER!!! entry.
 *
 * DEST=->TARGET makes DEST a symbolic link to TARGET (mode 0120777, the target as its data),
 * as Linux's "slink" lines do (busybox's applet links).
 *
 * DEST=c:MODE:MAJOR:MINOR makes DEST a character device (mode 020000 | MODE, octal), as
 * Linux's "nod" lines do: /dev/console=c:600:5:1.  Such a host path cannot be a SRC.
 *
 * newc layout per entry: 110-byte ASCII header ("070701" + 13 fields of 8 hex digits), the
 * NUL-terminated name, zero padding so header+name is a multiple of 4, the data, zero padding
 * so the data is a multiple of 4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_path;
static FILE *out;
static unsigned long out_len;
static unsigned long next_ino = 1;

/* Directories already written, without leading slash. */
static char **dirs;
static size_t ndirs;
/* Files already written (to reject duplicates and file/dir clashes). */
static char **files;
static size_t nfiles;

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "gen_init_cpio: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    if (out) {
        fclose(out);
        remove(out_path);
    }
    exit(1);
}

static void emit(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, out) != n)
        die("write to %s failed: %s", out_path, strerror(errno));
    out_len += n;
}

static void pad4(void)
{
    static const char zeros[4];
    emit(zeros, (4 - out_len % 4) % 4);
}

static unsigned long rdev_major, rdev_minor;   /* for the next character device entry */

static void emit_entry(const char *name, unsigned long mode, unsigned long nlink,
                       const void *data, unsigned long size, unsigned long ino)
{
    char hdr[111];
    unsigned long namesize = strlen(name) + 1;
    int n = snprintf(hdr, sizeof hdr,
                     "070701%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX",
                     ino, mode, 0UL /* uid */, 0UL /* gid */, nlink, 0UL /* mtime */, size,
                     0UL, 0UL /* dev major/minor */,
                     (mode & 0170000) == 020000 ? rdev_major : 0UL,
                     (mode & 0170000) == 020000 ? rdev_minor : 0UL,
                     namesize, 0UL /* check */);
    if (n != 110)
        die("internal error: header for %s is not 110 bytes%s", name, "");
    emit(hdr, 110);
    emit(name, namesize);
    pad4();
    emit(data, size);
    pad4();
}

static int in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static char **push(char **list, size_t *n, const char *s)
{
    list = realloc(list, (*n + 1) * sizeof *list);
    char *copy = strdup(s);
    if (!list || !copy)
        die("out of memory%s%s", "", "");
    list[(*n)++] = copy;
    return list;
}

/* Read the whole host file SRC into memory. */
static unsigned char *slurp(const char *src, unsigned long *size)
{
    FILE *f = fopen(src, "rb");
    if (!f)
        die("cannot open %s: %s", src, strerror(errno));
    size_t cap = 65536, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        die("out of memory%s%s", "", "");
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                die("out of memory%s%s", "", "");
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(f))
        die("cannot read %s: %s", src, strerror(errno));
    fclose(f);
    if (len > 0xffffffffUL)
        die("%s is too large for newc (4 GiB limit)%s", src, "");
    *size = len;
    return buf;
}

/*
 * Turn "/a//b/c" into "a/b/c" in place.  Rejects relative paths, "." and ".."
 * components, a bare "/" and a trailing slash.
 */
static void normalize(char *dest, const char *arg)
{
    if (dest[0] != '/')
        die("destination in '%s' must be an absolute path%s", arg, "");
    char *w = dest;
    const char *r = dest;
    while (*r) {
        while (*r == '/')
            r++;
        if (!*r)
            break;
        const char *start = r;
        while (*r && *r != '/')
            r++;
        size_t len = (size_t)(r - start);
        if ((len == 1 && start[0] == '.') || (len == 2 && start[0] == '.' && start[1] == '.'))
            die("destination in '%s' must not contain . or ..%s", arg, "");
        if (w != dest)
            *w++ = '/';
        memmove(w, start, len);
        w += len;
    }
    *w = '\0';
    if (w == dest)
        die("destination in '%s' names the root directory, not a file%s", arg, "");
    size_t dl = strlen(arg) - strlen(strchr(arg, '='));
    if (arg[dl - 1] == '/')
        die("destination in '%s' ends with a slash%s", arg, "");
}

static void add(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        die("bad argument '%s' (expected DEST=SRC)%s", arg, "");
    size_t dlen = (size_t)(eq - arg);
    char *dest = malloc(dlen + 1);
    if (!dest)
        die("out of memory%s%s", "", "");
    memcpy(dest, arg, dlen);
    dest[dlen] = '\0';
    normalize(dest, arg);
    const char *src = eq + 1;

    if (in_list(files, nfiles, dest))
        die("'%s' is given twice%s", dest, "");
    if (in_list(dirs, ndirs, dest))
        die("'%s' is already a directory in the archive%s", dest, "");

    unsigned long size, mode = 0100755;
    int is_link = strncmp(src, "->", 2) == 0 && src[2];
    unsigned long dmode, dmaj, dmin;
    char tail;
    unsigned char *data;
    if (sscanf(src, "c:%lo:%lu:%lu%c", &dmode, &dmaj, &dmin, &tail) == 3) {
        if (dmode > 07777 || dmaj > 0xfff || dmin > 0xfffff)
            die("bad device node '%s' (expected c:MODE:MAJOR:MINOR)%s", src, "");
        mode = 020000 | dmode;
        size = 0;
        data = NULL;
    } else if (is_link) {
        mode = 0120777;
        size = strlen(src + 2);
        data = (unsigned char *)strdup(src + 2);
    } else {
        data = slurp(src, &size);
    }

    /* Parent directories, outermost first. */
    for (char *p = strchr(dest, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (in_list(files, nfiles, dest))
            die("'%s' is a file in the archive, it cannot be a directory%s", dest, "");
        if (!in_list(dirs, ndirs, dest)) {
            emit_entry(dest, 040755, 2, NULL, 0, next_ino++);
            dirs = push(dirs, &ndirs, dest);
        }
        *p = '/';
    }
    if ((mode & 0170000) == 020000) {
        rdev_major = dmaj;
        rdev_minor = dmin;
    }
    emit_entry(dest, mode, 1, data, size, next_ino++);
    files = push(files, &nfiles, dest);
    free(data);
    free(dest);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT.cpio DEST=SRC [DEST=SRC ...]\n", argv[0]);
        return 1;
    }
    out_path = argv[1];
    /* Check every argument's shape before creating the output file. */
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || !eq[1]) {
            fprintf(stderr, "gen_init_cpio: bad argument '%s' (expected DEST=SRC)\n", argv[i]);
            return 1;
        }
    }
    out = fopen(out_path, "wb");
    if (!out) {
        fprintf(stderr, "gen_init_cpio: cannot create %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    for (int i = 2; i < argc; i++)
        add(argv[i]);
    emit_entry("TRAILER!!!", 0, 1, NULL, 0, 0);
    if (fclose(out) != 0) {
        out = NULL;
        remove(out_path);
        fprintf(stderr, "gen_init_cpio: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    return 0;
}
