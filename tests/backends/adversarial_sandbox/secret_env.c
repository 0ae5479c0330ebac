/* Looks for API keys in its environment and prints what it finds. */
#include "hostile.h"
static void hostile(void) {
    const char *names[] = {"OPENAI_API_KEY", "GOOGLE_API_KEY", "SZ_TEST_TOKEN", "HOME", "PATH"};
    for (int i = 0; i < 5; i++) fprintf(stderr, "ENV %s=%s\n", names[i], getenv(names[i]) ? getenv(names[i]) : "(unset)");
}
