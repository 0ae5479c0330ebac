/* ATTACK seal the parent's repetition arena: fd 6 was created with MFD_ALLOW_SEALING and only F_SEAL_SHRINK;
 * F_SEAL_SEAL is not set, so the child may add F_SEAL_GROW. The parent's grow() (ftruncate after the warm-up)
 * then fails with EPERM -- an OSError raised in the trusted parent. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "trust_common.h"
#ifndef F_SEAL_GROW
#define F_SEAL_GROW 0x0004
#endif
__attribute__((constructor)) static void seal(void) {
    fprintf(stderr, "SEAL fd6 grow -> %d\n", fcntl(6, F_ADD_SEALS, F_SEAL_GROW)); }
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
