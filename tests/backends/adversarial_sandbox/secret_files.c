/* Hunts for secrets on disk and in other processes' environments, prints whatever it can read. */
#include <dirent.h>
#include "hostile.h"
static void dump(const char *path) {
    FILE *f = fopen(path, "r"); char buf[4096]; size_t k;
    if (!f) { fprintf(stderr, "NOREAD %s\n", path); return; }
    k = fread(buf, 1, sizeof buf - 1, f); buf[k] = 0; fclose(f);
    for (size_t i = 0; i < k; i++) if (buf[i] == 0) buf[i] = '\n';
    fprintf(stderr, "READ %s\n%s\n", path, buf);
}
static void hostile(void) {
    DIR *d = opendir("/proc"); struct dirent *e; char p[300];
    while (d && (e = readdir(d))) { snprintf(p, sizeof p, "/proc/%s/environ", e->d_name); if (e->d_name[0] >= '1' && e->d_name[0] <= '9') dump(p); }
    if (d) closedir(d);
    dump("/etc/shadow"); dump("/root/.bashrc"); dump(SECRET_FILE);
}
