/* Reports the uid it runs as and tries to signal every process of neighbouring uids. */
#include <signal.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) { fprintf(stderr, "UID %u PID %d\n", (unsigned)getuid(), (int)getpid()); kill(-1, SIGKILL); }
