/* Four processes each touch 1.5 GiB: every one stays under its own address-space cap. */
#include <sys/wait.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    for (int i = 0; i < 4; i++) if (fork() == 0) {
        size_t size = (size_t)3 << 29; char *p = malloc(size);
        if (p) for (size_t k = 0; k < size; k += 4096) p[k] = 1;
        sleep(5); _exit(0);
    }
    while (wait(NULL) > 0) {}
}
