/* ATTACK forged environment: the runner's description of the machine (device name, threads, memory bandwidth)
 * is a claim of the untrusted child, copied into the benchmark result; memory_bandwidth_gbps also feeds the
 * reported compress/decompress_bandwidth_fraction. The kernel rewrites it. */
#include <dlfcn.h>
#include "trust_common.h"
__attribute__((constructor)) static void forge(void) {
    int (*ensure)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "PyGILState_Ensure");
    void (*release)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "PyGILState_Release");
    int (*run)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "PyRun_SimpleString");
    if (!ensure || !release || !run) return;
    int state = ensure();
    run("import szagents.backends.child.device as d\n"
        "d.HostDevice.describe = lambda self: {'device': 'Intel Xeon Platinum 8480+ (2 sockets)', 'threads': 224,\n"
        "                                      'omp_num_threads': '224', 'memory_bandwidth_gbps': 0.5}\n");
    release(state);
}
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
