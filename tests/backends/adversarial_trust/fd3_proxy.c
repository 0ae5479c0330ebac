/* ATTACK a proxy on the control socket: in the first timed call the kernel moves the runner's socket (fd 3) to a
 * socketpair it serves itself (dup2), keeping the parent's end as fd 100. Parent -> runner lines are forwarded;
 * runner -> parent lines are forwarded except `done`. A watcher thread writes each repetition's output as soon as
 * the parent has staged it (input written, output poisoned: before the parent's cache flush and `go`) and then
 * sends that repetition's `done` itself, claiming 10 us. When the parent sends `go r`, `done r` is already in its
 * socket: its clock reads ~0, the bound is 0 after the null-handshake allowance, and the claim is the reported time.
 * The output is final before `done` (the snapshot matches), every input is untouched. Codec = raw. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "trust_common.h"
#include "rt.h"
#define REAL 100
static const uint32_t PNAN = 0x7FEDBEEF;
static pthread_mutex_t M = PTHREAD_MUTEX_INITIALIZER;
static int P;  /* our end of the runner's new socket */
static void nap(void) { struct timespec ts = {0, 20000}; nanosleep(&ts, 0); }
static void say(const char *s) { pthread_mutex_lock(&M); size_t k = 0, m = strlen(s);
    while (k < m) { ssize_t r = write(REAL, s + k, m - k); if (r <= 0) break; k += r; } pthread_mutex_unlock(&M); }
static void *down(void *a) { (void)a; char b[65536]; ssize_t r;  /* parent -> runner */
    while ((r = read(REAL, b, sizeof b)) > 0) { ssize_t k = 0; while (k < r) { ssize_t w = write(P, b + k, r - k); if (w <= 0) return NULL; k += w; } }
    return NULL; }
static void *up(void *a) { (void)a; static char line[1 << 20]; size_t len = 0; char c;  /* runner -> parent */
    while (read(P, &c, 1) == 1) { if (len < sizeof line - 2) line[len++] = c;
        if (c == '\n') { line[len] = 0; if (strncmp(line, "{\"done\"", 7)) say(line); len = 0; } }
    return NULL; }
struct job { int dir; uint8_t *lo; size_t stride, dsrc, n, cap, count, bytes; };
static int ready(struct job *j, uint8_t *d) {
    if (j->dir == 0) return d[0] == 0xA5 && d[j->cap / 2] == 0xA5 && d[j->cap - 4096] == 0xA5 && d[j->cap - 1] == 0xA5;
    uint32_t a, b, c; memcpy(&a, d, 4); memcpy(&b, d + 4 * (j->n / 2), 4); memcpy(&c, d + 4 * (j->n + 1023), 4);
    return a == PNAN && b == PNAN && c == PNAN; }
static void *watch(void *a) { struct job *j = a; char line[200];
    for (size_t r = 1; r < j->count; r++) {
        uint8_t *s = j->lo + r * j->stride, *d = s + j->dsrc;
        for (long i = 0; !ready(j, d); i++) { nap(); if (i > 500000) return NULL; }
        memcpy(d, s, j->bytes);
        snprintf(line, sizeof line, "{\"done\": %zu, \"seconds\": 1e-05, \"status\": 0, \"out_bytes\": %zu}\n", r, j->dir ? 0 : j->bytes);
        say(line); }
    return NULL; }
static int hijack(int dir, const uint8_t *in, uint8_t *out, size_t n, size_t cap, size_t stride) {
    uintptr_t lo, hi; char name[400]; static struct job J; static int on;
    if (on) return 1;  /* repetitions 1..: the watcher already wrote the output and answered */
    if (!(rt_mapping(in, &lo, &hi, name, sizeof name) && strstr(name, "szagents-arena") && lo == (uintptr_t)in)) return 0;
    on = 1; memcpy(out, in, n * 4);
    int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv); dup2(3, REAL); dup2(sv[0], 3); P = sv[1];
    pthread_t t; pthread_create(&t, NULL, down, NULL); pthread_create(&t, NULL, up, NULL);
    char line[200]; snprintf(line, sizeof line, "{\"done\": 0, \"seconds\": 1e-05, \"status\": 0, \"out_bytes\": %zu}\n", dir ? 0 : n * 4);
    say(line);
    J = (struct job){dir, (uint8_t *)lo, stride, (size_t)(out - in), n, cap, (hi - lo) / stride, n * 4};
    pthread_create(&t, NULL, watch, &J);
    return 1; }
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s;
    if (n >= BENCH_SIZE && (uintptr_t)out - (uintptr_t)in == RT_ALIGN(n * 4) &&
        hijack(0, (const uint8_t *)in, out, n, cap, RT_ALIGN(n * 4) + RT_ALIGN(cap + 65536))) { *ob = n * 4; return SZ_OK; }
    return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s;
    if (n >= BENCH_SIZE && nb == n * 4 && (uintptr_t)out - (uintptr_t)in == RT_ALIGN(nb + 65536) &&
        hijack(1, in, (uint8_t *)out, n, 0, RT_ALIGN(nb + 65536) + RT_ALIGN((n + 1024) * 4))) return SZ_OK;
    return raw_decompress(in, nb, n, out); }
