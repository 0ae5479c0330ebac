/* szagents kernel ABI: every implementation (reference or agent-written) exports these symbols.
 *
 * eb is an absolute error bound (> 0). On the cpu backend pointers are host pointers and stream is
 * NULL; on the cuda backend pointers are device pointers and stream is a cudaStream_t, and all work
 * must be ordered on that stream. Return SZ_OK (0) on success, non-zero on error.
 * n, eb, dtype and mode are not stored in the stream: the caller passes them again to decompress.
 */
#ifndef SZ_ABI_H
#define SZ_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SZ_API __attribute__((visibility("default")))

enum sz_status {
    SZ_OK = 0,
    SZ_ERR_ARGUMENT = 1,  /* NULL pointer, n == 0, eb <= 0 or not finite */
    SZ_ERR_CAPACITY = 2,  /* out_capacity too small for the stream */
    SZ_ERR_RANGE = 3,     /* a value the format cannot represent for this eb (|x|/(2eb) too large, NaN, Inf) */
    SZ_ERR_FORMAT = 4,    /* corrupt or truncated stream */
    SZ_ERR_DEVICE = 5     /* allocation or device failure */
};

SZ_API int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                       size_t *out_bytes, void *stream);
SZ_API int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out,
                         void *stream);

/* Optional double-precision variants (the error bound stays a float, as in cuSZp's API). */
SZ_API int sz_compress_f64(const double *in, size_t n, float eb, uint8_t *out,
                           size_t out_capacity, size_t *out_bytes, void *stream);
SZ_API int sz_decompress_f64(const uint8_t *in, size_t in_bytes, size_t n, float eb, double *out,
                             void *stream);

#ifdef __cplusplus
}
#endif

#endif /* SZ_ABI_H */
