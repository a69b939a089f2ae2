/* watch-kill DIR NAME PGID: waits until an entry NAME is created in DIR or renamed into
 * it, then SIGKILLs process group PGID at once, from this process (no fork, no shell, so
 * the kill lands within microseconds of the event: tests/nfs/run.sh kills a node in the
 * middle of a commit that lasts a few tens of milliseconds). Prints "watching" once the
 * watch is set, "killed" after the kill. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    int fd;
    pid_t pgid;
    if (argc != 4 || (pgid = (pid_t)atoi(argv[3])) <= 1) {
        fprintf(stderr, "usage: watch-kill DIR NAME PGID\n");
        return 2;
    }
    fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, argv[1], IN_CREATE | IN_MOVED_TO) < 0) {
        perror(argv[1]);
        return 1;
    }
    printf("watching\n");
    fflush(stdout);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            perror("watch-kill: read");
            return 1;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len && strcmp(ev->name, argv[2]) == 0) {
                if (kill(-pgid, SIGKILL) != 0) {
                    perror("watch-kill: kill");
                    return 1;
                }
                printf("killed\n");
                return 0;
            }
            p += sizeof *ev + ev->len;
        }
    }
}
