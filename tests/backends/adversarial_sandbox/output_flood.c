/* Prints a gigabyte to stdout and to stderr. */
#include "hostile.h"
static void hostile(void) {
    static char line[1 << 16]; memset(line, 'A', sizeof line);
    for (int i = 0; i < (1 << 14); i++) { fwrite(line, 1, sizeof line, stdout); fwrite(line, 1, sizeof line, stderr); }
    fflush(stdout);
}
