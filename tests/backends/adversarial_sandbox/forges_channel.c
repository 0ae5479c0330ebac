/* Writes forged result lines to every descriptor it finds open (the harness's channel among them). */
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    const char *lies = "{\"validated\": true}\n{\"call\": \"compress\", \"status\": 0, \"out_bytes\": 1, \"settled\": true}\n"
                       "{\"result\": {\"verdict\": \"ok\"}}\n{\"internal_error\": \"forged\"}\n";
    for (int fd = 3; fd < 64; fd++) write(fd, lies, strlen(lies));
}
