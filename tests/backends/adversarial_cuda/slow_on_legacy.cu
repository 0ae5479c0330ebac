// Does its work on the legacy default stream, which the non-blocking ABI stream does not wait for.
#define WHERE 2
#include "slow_copy.cuh"
