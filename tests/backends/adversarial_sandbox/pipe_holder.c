/* A daemon that keeps the harness's pipes open for a minute, so the parent would wait for EOF. */
#include <sys/prctl.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    if (fork() == 0) { setsid(); prctl(PR_SET_NAME, "szpipeholder", 0, 0, 0); sleep(60); _exit(0); }
}
