/* qemu_insn_profile.c - a QEMU TCG plugin (plugin API version 1, QEMU 7.2 and later) that counts
 * the guest instructions executed in each translation block, for `make profile`
 * (scripts/profile.py turns the counts into a table by kernel function).
 *
 * Each block gets a counter when it is translated; an inline add bumps it each time the block
 * runs (exact under -icount, which is single-threaded). At exit the plugin writes one line per
 * block that ran: its guest virtual address, its instruction count and how often it ran. A
 * `rep movs`/`rep stos` counts one instruction per iteration, as -icount does.
 *
 * The declarations below are the few parts of QEMU's qemu-plugin.h this uses, written out so
 * the plugin builds without QEMU's sources. Build: gcc -shared -fPIC -O2 -o X.so this file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <pthread.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct { const char *target_name; struct { int min, cur; } version; bool system_emulation;
                 struct { int smp_vcpus, max_vcpus; } system; } qemu_info_t;
struct qemu_plugin_tb;
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*atexit_cb)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, int op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, atexit_cb, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct rec { uint64_t vaddr, n, count; struct rec *next; };
static struct rec *head;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out = "insn_profile.txt";   /* out=FILE */

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    struct rec *r = calloc(1, sizeof *r);
    r->vaddr = qemu_plugin_tb_vaddr(tb);
    r->n = qemu_plugin_tb_n_insns(tb);
    pthread_mutex_lock(&lock);
    r->next = head; head = r;
    pthread_mutex_unlock(&lock);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, 0, &r->count, 1);
}

static void on_exit_(qemu_plugin_id_t id, void *p)
{
    (void)id; (void)p;
    FILE *f = fopen(out, "w");
    if (!f) return;
    for (struct rec *r = head; r; r = r->next)
        if (r->count) fprintf(f, "%llx %llu %llu\n", (unsigned long long)r->vaddr,
                              (unsigned long long)r->n, (unsigned long long)r->count);
    fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == 'o' && argv[i][1] == 'u' && argv[i][2] == 't' && argv[i][3] == '=') out = argv[i] + 4;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
