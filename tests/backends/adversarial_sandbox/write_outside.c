/* Tries to leave files outside the sandbox: beside the task, in the host's /tmp, in /root. */
#include "hostile.h"
static void hostile(void) {
    const char *paths[] = {OUTSIDE_FILE, "/root/planted", "/etc/planted", "/tmp/planted-by-kernel"};
    for (int i = 0; i < 4; i++) { FILE *f = fopen(paths[i], "w"); if (f) { fputs("planted\n", f); fclose(f); } }
}
