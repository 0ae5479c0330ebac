/* Correct and lossless, but refuses to run (SZ_ERR_DEVICE) when its process holds more than one thread at the
 * call: the harness's child must not start threads of its own beside the kernel (numpy's BLAS pool). */
#include <dirent.h>
#include "raw_common.h"
static int threads(void) {
    DIR *d = opendir("/proc/self/task"); int count = 0; struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL) count += e->d_name[0] != '.';
    closedir(d); return count; }
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; if (threads() != 1) return SZ_ERR_DEVICE; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; if (threads() != 1) return SZ_ERR_DEVICE; if (nb != n * sizeof(float)) return SZ_ERR_FORMAT;
    memcpy(out, in, nb); return SZ_OK; }
