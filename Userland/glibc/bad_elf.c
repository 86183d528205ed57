/*
 * bad_elf - execve of hand-made ELF files, good and bad (fs/binfmt_elf.c: load_elf_binary,
 * elf_read, elf_read_phdrs, load_elf_interp; fs/exec.c: the point of no return).
 *
 * Each file is built here, byte by byte: a 64-bit x86 ELF whose code is "exit(N)", with
 * one PT_LOAD and, for some, a PT_INTERP naming an interpreter that is itself built here
 * (an ET_DYN whose code is "exit(43)"). A child execs it; the parent prints what came
 * back: the errno of a failed execve, the exit code, or the signal that killed it.
 *   - the good ones run: the program exits 42; with an interpreter, the interpreter's
 *     entry runs first (and here, only: it exits 43);
 *   - before the point of no return, execve fails and the caller goes on: a missing
 *     interpreter (ENOENT), an interpreter that is not ELF or not x86-64 (ELIBBAD) or
 *     shorter than an ELF header (EIO: the read of its header comes back short), a
 *     program cut short inside its header, a program header table past the end, no
 *     program headers, an interpreter path without its NUL (all ENOEXEC);
 *   - after it, nothing is left to return to: an interpreter of the wrong type (ET_REL)
 *     kills the process with SIGSEGV, as does an entry point outside every segment;
 *   - an interpreter that names an interpreter of its own is loaded as it is (Linux never
 *     looks at the interpreter's PT_INTERP);
 *   - a segment cut short by the end of the file maps, and the first touch of the missing
 *     page is SIGBUS; overlapping segments map one over the other and run.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct opts {
    uint16_t type, machine;
    const char *interp;         /* PT_INTERP's path, or NULL */
    int code;                   /* exit code of the entry's code */
    int phoff_past_end;         /* e_phoff beyond the file */
    int no_phdrs;               /* e_phnum 0 */
    int interp_no_nul;          /* PT_INTERP's p_filesz leaves the NUL out */
    int overlap;                /* a second PT_LOAD on the same page, code exit(code + 2) */
    int entry_outside;          /* e_entry in no segment */
    long truncate;              /* cut the file to this many bytes (0: whole) */
};

static unsigned char img[3 * 4096];

static long build(const char *path, struct opts o) {
    memset(img, 0, sizeof img);
    uint64_t base = o.type == ET_EXEC ? 0x400000 : 0;
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = o.type;
    eh->e_machine = o.machine ? o.machine : EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = o.entry_outside ? base + 0x100000 : base + 0x1000;
    eh->e_phoff = o.phoff_past_end ? 0x10000 : sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof *eh);
    int n = 0;
    if (o.interp) {
        size_t len = strlen(o.interp) + 1;
        memcpy(img + 0x200, o.interp, len);
        ph[n++] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R, .p_offset = 0x200, .p_vaddr = base + 0x200,
                                .p_paddr = base + 0x200, .p_filesz = o.interp_no_nul ? len - 1 : len,
                                .p_memsz = o.interp_no_nul ? len - 1 : len, .p_align = 1 };
    }
    unsigned char code[] = { 0xb8, 60, 0, 0, 0, 0xbf, (unsigned char)o.code, 0, 0, 0, 0x0f, 0x05 };
    memcpy(img + 0x1000, code, sizeof code);
    ph[n++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = base,
                            .p_paddr = base, .p_filesz = 0x1000 + sizeof code, .p_memsz = 0x1000 + sizeof code,
                            .p_align = 0x1000 };
    long size = 0x1000 + sizeof code;
    if (o.overlap) {
        code[6] = (unsigned char)(o.code + 2);
        memcpy(img + 0x2000, code, sizeof code);
        ph[n++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = base + 0x1000,
                                .p_paddr = base + 0x1000, .p_filesz = 0x1000 + sizeof code,
                                .p_memsz = 0x1000 + sizeof code, .p_align = 0x1000 };
        /* The second segment's file bytes at 0x1000 are the first's code; its page at
           base + 0x2000 holds exit(code + 2). Entry: the shared page, base + 0x1000. */
        size = 0x2000 + sizeof code;
    }
    eh->e_phnum = o.no_phdrs ? 0 : n;
    if (o.truncate) size = o.truncate;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, img, size) != size) { perror(path); return -1; }
    close(fd);
    return 0;
}

static void run(const char *what, const char *path) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
        execve(path, argv, envp);
        printf("%s: execve %s\n", what, strerrorname_np(errno));
        fflush(stdout);
        _exit(100);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) != 100) printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, sigabbrev_np(WTERMSIG(st)));
}

int main(void) {
    char cwd[512], interp[600], notelf[600], relinterp[600], arminterp[600], dyninterp[600];
    getcwd(cwd, sizeof cwd);
    snprintf(interp, sizeof interp, "%s/ld-good", strcmp(cwd, "/") ? cwd : "");
    snprintf(notelf, sizeof notelf, "%s/ld-notelf", strcmp(cwd, "/") ? cwd : "");
    snprintf(relinterp, sizeof relinterp, "%s/ld-rel", strcmp(cwd, "/") ? cwd : "");
    snprintf(arminterp, sizeof arminterp, "%s/ld-arm", strcmp(cwd, "/") ? cwd : "");
    snprintf(dyninterp, sizeof dyninterp, "%s/ld-dynamic", strcmp(cwd, "/") ? cwd : "");

    build(interp, (struct opts){ .type = ET_DYN, .code = 43 });
    build(relinterp, (struct opts){ .type = ET_REL, .code = 43 });
    build(arminterp, (struct opts){ .type = ET_DYN, .machine = EM_AARCH64, .code = 43 });
    build(dyninterp, (struct opts){ .type = ET_DYN, .code = 43, .interp = "/nonexistent/ld.so" });
    char shortnotelf[620];
    snprintf(shortnotelf, sizeof shortnotelf, "%s-short", notelf);
    int fd = open(notelf, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    for (int i = 0; i < 8; i++) write(fd, "#!/bin/sh\necho not an ELF\n", 27);
    close(fd);
    fd = open(shortnotelf, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    write(fd, "#!/bin/sh\necho not an ELF\n", 27);
    close(fd);

    build("p", (struct opts){ .type = ET_EXEC, .code = 42 });
    run("static ET_EXEC", "./p");
    build("p", (struct opts){ .type = ET_DYN, .code = 42 });
    run("static ET_DYN", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = interp });
    run("with an interpreter", "./p");
    build("p", (struct opts){ .type = ET_DYN, .code = 42, .interp = interp });
    run("PIE with an interpreter", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = "/nonexistent/ld.so" });
    run("missing interpreter", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = notelf });
    run("interpreter not ELF", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = shortnotelf });
    run("interpreter shorter than an ELF header", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = arminterp });
    run("interpreter for AArch64", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = relinterp });
    run("interpreter ET_REL", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = dyninterp });
    run("interpreter with its own PT_INTERP", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .interp = interp, .interp_no_nul = 1 });
    run("interpreter path without NUL", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .truncate = 40 });
    run("cut inside the ELF header", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .phoff_past_end = 1 });
    run("program headers past the end", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .no_phdrs = 1 });
    run("no program headers", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .truncate = 0x800 });
    run("segment cut short by the end", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .entry_outside = 1 });
    run("entry outside every segment", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .machine = EM_386 });
    run("program for i386", "./p");
    build("p", (struct opts){ .type = ET_REL, .code = 42 });
    run("program ET_REL", "./p");
    build("p", (struct opts){ .type = ET_EXEC, .code = 42, .overlap = 1 });
    run("overlapping segments", "./p");

    unlink("p");
    unlink(interp); unlink(notelf); unlink(relinterp); unlink(arminterp); unlink(dyninterp); unlink(shortnotelf);
    printf("the caller is still here\n");
    return 0;
}
