/* Double-fork + setsid daemon that outlives the call: renames itself, sleeps, then writes a file. */
#include <sys/prctl.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            prctl(PR_SET_NAME, "szdaemon", 0, 0, 0);
            sleep(3);
            FILE *f = fopen(OUTSIDE_FILE, "w"); if (f) { fputs("late\n", f); fclose(f); }
            for (;;) sleep(1);
        }
        _exit(0);
    }
}
