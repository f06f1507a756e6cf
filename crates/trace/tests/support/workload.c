/* Workloads with known system calls, for the trace tests and benchmark.
 * usage: workload MODE DIR [N]
 *   files   DIR      open DIR/data, 100 write(100 B), fsync, 10 pread64,
 *                    ftruncate 16 KiB, mmap + store to 3 pages, msync, exit 7
 *   thread  DIR      a thread opens DIR/thread and does 50 writes; exit 0
 *   fork    DIR      a child opens DIR/child and does 30 writes, exits 3; exit 0
 *   kill    DIR      raise SIGKILL
 *   wait    DIR      read 1 byte from stdin, then as `files`
 *   dup     DIR      open DIR/dup; 5 writes each through dup2(fd, 10),
 *                    fcntl(F_DUPFD, 20) and, after closing fd and 10, the
 *                    F_DUPFD copy; exit 0
 *   openwait DIR     open DIR/early, read 1 byte from stdin, 20 writes; exit 0
 *   getppid DIR N    N getppid() between two marker getpid() calls; exit 0
 *   writes  DIR N    N write(64 B) to DIR/bench; exit 0
 *   openclose DIR N  N x (open DIR/oc, write 1 B, close); exit 0
 *   mix     DIR N    N getpid() with one write(64 B) to DIR/mix every 1000; exit 0
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[100];

static int open_in(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) { perror(path); exit(100); }
    return fd;
}

static int files(const char *dir) {
    int fd = open_in(dir, "data");
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 100; i++)
        if (write(fd, buf, 100) != 100) exit(101);
    if (fsync(fd) != 0) exit(102);
    for (int i = 0; i < 10; i++)
        if (pread(fd, buf, 100, i * 100) != 100) exit(103);
    if (ftruncate(fd, 16384) != 0) exit(104);
    char *m = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) exit(105);
    for (int p = 0; p < 3; p++) m[p * 4096] = 'm';
    if (msync(m, 16384, MS_SYNC) != 0) exit(106);
    return 7;
}

static void *thread_main(void *dir) {
    int fd = open_in(dir, "thread");
    for (int i = 0; i < 50; i++)
        if (write(fd, buf, 10) != 10) exit(110);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: workload MODE DIR [N]\n"); return 2; }
    const char *mode = argv[1], *dir = argv[2];
    long n = argc > 3 ? atol(argv[3]) : 0;
    if (!strcmp(mode, "files")) return files(dir);
    if (!strcmp(mode, "thread")) {
        pthread_t t;
        pthread_create(&t, NULL, thread_main, (void *)dir);
        pthread_join(t, NULL);
        return 0;
    }
    if (!strcmp(mode, "fork")) {
        pid_t c = fork();
        if (c == 0) {
            int fd = open_in(dir, "child");
            for (int i = 0; i < 30; i++)
                if (write(fd, buf, 10) != 10) _exit(120);
            _exit(3);
        }
        int st;
        waitpid(c, &st, 0);
        return WIFEXITED(st) && WEXITSTATUS(st) == 3 ? 0 : 121;
    }
    if (!strcmp(mode, "kill")) { raise(SIGKILL); return 0; }
    if (!strcmp(mode, "wait")) {
        char b;
        if (read(0, &b, 1) != 1) return 130;
        return files(dir);
    }
    if (!strcmp(mode, "dup")) {
        int fd = open_in(dir, "dup");
        if (dup2(fd, 10) != 10) return 160;
        for (int i = 0; i < 5; i++) if (write(10, buf, 10) != 10) return 161;
        int d = fcntl(fd, F_DUPFD, 20);
        if (d < 20) return 162;
        for (int i = 0; i < 5; i++) if (write(d, buf, 10) != 10) return 163;
        close(fd);
        close(10);
        for (int i = 0; i < 5; i++) if (write(d, buf, 10) != 10) return 164;
        return 0;
    }
    if (!strcmp(mode, "openwait")) {
        int fd = open_in(dir, "early");
        char b;
        if (read(0, &b, 1) != 1) return 170;
        for (int i = 0; i < 20; i++) if (write(fd, buf, 10) != 10) return 171;
        return 0;
    }
    if (!strcmp(mode, "getppid")) {
        syscall(SYS_getpid);
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
        syscall(SYS_getpid);
        return 0;
    }
    if (!strcmp(mode, "writes")) {
        int fd = open_in(dir, "bench");
        for (long i = 0; i < n; i++)
            if (write(fd, buf, 64) != 64) return 140;
        return 0;
    }
    if (!strcmp(mode, "openclose")) {
        char path[4096];
        snprintf(path, sizeof path, "%s/oc", dir);
        for (long i = 0; i < n; i++) {
            int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
            if (fd < 0 || write(fd, buf, 1) != 1) return 180;
            close(fd);
        }
        return 0;
    }
    if (!strcmp(mode, "mix")) {
        int fd = open_in(dir, "mix");
        for (long i = 0; i < n; i++) {
            syscall(SYS_getpid);
            if (i % 1000 == 0 && write(fd, buf, 64) != 64) return 150;
        }
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
