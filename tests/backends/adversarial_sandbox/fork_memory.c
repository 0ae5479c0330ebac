/* Four processes each touch 1.5 GiB: every one stays under its own address-space cap. Reports how
 * many finished touching their memory. */
#include <sys/wait.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    int touched = 0, status;
    for (int i = 0; i < 4; i++) if (fork() == 0) {
        size_t size = (size_t)3 << 29; char *p = malloc(size);
        if (!p) _exit(1);
        for (size_t k = 0; k < size; k += 4096) p[k] = 1;
        _exit(0);
    }
    while (wait(&status) > 0) touched += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    fprintf(stderr, "TOUCHED %d\n", touched);
}
