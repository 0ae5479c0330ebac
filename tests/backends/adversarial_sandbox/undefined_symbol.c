/* Calls a helper it never defines: links as a shared library, fails when loaded. */
#include "hostile.h"
void helper_that_does_not_exist(void);
static void hostile(void) { helper_that_does_not_exist(); }
