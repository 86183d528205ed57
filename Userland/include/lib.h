/*
 * lib.h - the few helpers MiniKernel's freestanding user programs share.
 *
 * Output goes to fd 1 with raw write(2).  say() formats into a buffer and
 * issues exactly one write() per call (for lines up to SAY_BUF bytes), so a
 * line printed by one process is never split by another process's output.
 */
#ifndef MK_LIB_H
#define MK_LIB_H

#include "sys.h"

#define SAY_BUF 1024

/* Implemented in runtime/lib.c */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
const char *strstr_simple(const char *hay, const char *needle);
int ends_with(const char *s, const char *suffix);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void print(const char *s);
void print_int(long v);
/* %d %i %ld %u %lu %x %lx %o %lo %s %c %p %% with optional '0' flag and width, 'l' modifier */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void fail(const char *msg);

/* "EFAULT" for -14 etc.; "0" for zero; "ok(N)" for positive values. */
const char *errname(long ret);

/* Convenience: wait for a specific pid; fail() on any error. Returns status. */
int wait_for(long pid);
/* fork(); fail() if it fails. */
long must_fork(void);

/* 1 when running under MiniKernel (uname release ends in "minikernel"). */
int on_minikernel(void);

/* The program runs itself again: execve(self, { self, "after-exec", arg, NULL }, { NULL })
 * (arg may be NULL), so that main() can tell the new image by argv[1]. Returns only if
 * the execve fails, with its -errno. */
long reexec_self(char *self, const char *arg);
/* The decimal number at s (an optional leading '-'), as an after-exec argument carries it. */
long parse_long(const char *s);

#define yesno(c) ((c) ? "yes" : "no")

#endif
