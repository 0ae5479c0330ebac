/* red-team helpers: find the shared arena mapping that holds a pointer (via /proc/self/maps). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
static int rt_mapping(const void *p, uintptr_t *lo, uintptr_t *hi, char *name, size_t cap) {
    FILE *f = fopen("/proc/self/maps", "r"); char line[512]; int found = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b; char path[400] = "";
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %399[^\n]", &a, &b, path) >= 2 &&
            (uintptr_t)p >= a && (uintptr_t)p < b) {
            *lo = a; *hi = b; if (name) { strncpy(name, path, cap - 1); name[cap - 1] = 0; } found = 1; break; }
    }
    fclose(f); return found;
}
#define RT_ALIGN(x) ((((size_t)(x)) + 4095) & ~(size_t)4095)
