/* Pulls a root-only file into the compile log and the library. */
#include "hostile.h"
#include "/etc/shadow"
static void hostile(void) {}
