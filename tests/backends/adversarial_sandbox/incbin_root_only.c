/* Embeds a root-only file into the library with the assembler. */
#include "hostile.h"
__asm__(".section .rodata\n.global stolen\nstolen:\n.incbin \"/etc/shadow\"\n.byte 0\n.previous\n");
extern const char stolen[];
static void hostile(void) { fprintf(stderr, "STOLEN %s\n", stolen); }
