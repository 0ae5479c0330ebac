/* Tries to send a message to a listener on the host's loopback. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hostile.h"
static void hostile(void) {
    struct sockaddr_in a; int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a); a.sin_family = AF_INET; a.sin_port = htons(LISTEN_PORT);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) { write(fd, "LEAK\n", 5); fprintf(stderr, "NET connected\n"); }
    else perror("NET connect");
    close(fd);
}
