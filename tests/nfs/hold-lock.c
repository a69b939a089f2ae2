/* hold-lock FILE: takes an OFD write lock on FILE (opened read-write, never created),
 * the lock wp-init takes, prints "holding", and holds it until killed (tests/nfs/run.sh:
 * a lock held while another node's wp-init starts to wait). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct flock fl;
    int fd;
    if (argc != 2) {
        fprintf(stderr, "usage: hold-lock FILE\n");
        return 2;
    }
    fd = open(argv[1], O_RDWR | O_CLOEXEC);
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fd < 0 || fcntl(fd, F_OFD_SETLKW, &fl) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("holding %d\n", (int)getpid());
    fflush(stdout);
    for (;;) pause();
}
