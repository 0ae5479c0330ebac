/* Shared helpers of the adversarial kernels: an honest lossless "raw" format (the stream is the
 * input's bytes), which each cheat then breaks in one specific way. */
#include <string.h>
#include "sz_abi.h"

static int raw_compress(const float *in, size_t n, uint8_t *out, size_t cap, size_t *out_bytes) {
    if (n * sizeof(float) > cap) return SZ_ERR_CAPACITY;
    memcpy(out, in, n * sizeof(float));
    *out_bytes = n * sizeof(float);
    return SZ_OK;
}
