/* ATTACK F_SEAL_FUTURE_WRITE on fd 6: the parent's existing mapping keeps working, but grow() maps the file
 * anew with PROT_WRITE, which the kernel refuses (EPERM) -> an OSError raised in the trusted parent. Done only in
 * the decompressing child (first sz_decompress call), after the compress child ran normally. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "trust_common.h"
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    static int done; if (!done) { done = 1; fprintf(stderr, "SEAL fd6 future_write -> %d\n", fcntl(6, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)); }
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
