/* ATTACK junk on the control socket (plain C, no interpreter tricks): on load, write one line to fd 3 that
 * json.loads rejects with something other than JSONDecodeError. -DMODE=1: a 5000-digit integer (ValueError from
 * Python's int-digits limit); -DMODE=2 (default): 200000 nested '[' (RecursionError). */
#include <unistd.h>
#include <stdlib.h>
#include "trust_common.h"
#ifndef MODE
#define MODE 2
#endif
__attribute__((constructor)) static void junk(void) {
    size_t cap = 300000; char *b = malloc(cap); size_t k = 0;
    if (MODE == 1) { k += sprintf(b, "{\"x\": "); for (int i = 0; i < 5000; i++) b[k++] = '7'; b[k++] = '}'; }
    else { for (int i = 0; i < 200000; i++) b[k++] = '['; }
    b[k++] = '\n'; (void)!write(3, b, k); free(b);
}
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
