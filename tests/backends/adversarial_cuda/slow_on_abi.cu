// Control for the hidden-stream cheats: the slow copy on the ABI stream.
#define WHERE 0
#include "slow_copy.cuh"
