/* Fills /tmp with 40 files of 256 MiB each. */
#include "hostile.h"
static void hostile(void) {
    static char block[1 << 20]; memset(block, 'D', sizeof block);
    for (int f = 0; f < 40; f++) {
        char name[64]; snprintf(name, sizeof name, "/tmp/fill-%d", f);
        FILE *out = fopen(name, "w"); if (!out) break;
        for (int m = 0; m < 256; m++) if (fwrite(block, 1, sizeof block, out) != sizeof block) break;
        fclose(out);
    }
    fprintf(stderr, "FILL done\n");
}
