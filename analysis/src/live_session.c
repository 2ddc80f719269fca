// SPDX-License-Identifier: GPL-2.0-or-later
/* A session analyzed again on its own thread when its files change (live_session.h). */
#include "live_session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Session directories nest (LTTng's ust/uid/0/64-bit/); deeper than this is not a session's */
#define MAX_DEPTH 16

struct vq_live {
    char *argument;
    char *directory;              /* what is watched: ARGUMENT, or DIR of DIR@A / DIR@B */
    vq_session_loader load;
    vq_live_consumer consumer;
    void *context;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;          /* the thread waits on it for a request or the stop */
    pthread_cond_t done;          /* vq_live_refresh waits on it for an analysis to end */
    bool stopping;
    uint64_t wanted;              /* the fingerprint the next analysis is for: the files as last seen */
    uint64_t started;             /* the fingerprint of the running or last analysis */
    uint64_t completed;           /* ... of the last one the consumer has seen */
    unsigned long analyses;
    struct timespec rest_until;   /* no analysis starts before: the last one's end plus its length */
};

static uint64_t fnv1a(uint64_t hash, const void *data, size_t length)
{
    const unsigned char *byte = data;
    size_t i;

    for (i = 0; i < length; i++) {
        hash = (hash ^ byte[i]) * 0x100000001b3ull;
    }
    return hash;
}

/* One entry's hash: its path under the session and what changes when it is written, replaced or
 * removed (dot files aside). The entries' hashes are summed, so that the order readdir gives them in does not matter. */
static uint64_t entry_hash(const char *path, const struct stat *info, int stat_errno)
{
    uint64_t hash = fnv1a(0xcbf29ce484222325ull, path, strlen(path) + 1);
    int64_t fields[6] = { (int64_t)info->st_size, (int64_t)info->st_mtim.tv_sec, (int64_t)info->st_mtim.tv_nsec,
                          (int64_t)info->st_ino, (int64_t)info->st_mode, stat_errno };

    return fnv1a(hash, fields, sizeof(fields));
}

/* Adds the hashes of everything under DIRECTORY_FD (which it closes) to *SUM; PATH names it for the hash.
 * A subdirectory that cannot be read counts by its error, so that it changes the sum when it can again. */
static void hash_directory(int directory_fd, const char *path, unsigned depth, uint64_t *sum)
{
    DIR *directory = fdopendir(directory_fd);
    struct dirent *entry;

    if (!directory) {
        close(directory_fd);
        return;
    }
    while ((entry = readdir(directory)) != NULL) {
        struct stat info = { 0 }, target;
        char child[4096];
        int child_fd;

        /* dot files are the recorder's own (pid files, its scripts, the metrics server's log): the
         * analyzer reads none of them, and a log written beside must not count as a change */
        if (entry->d_name[0] == '.') {
            continue;
        }
        snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
        if (fstatat(dirfd(directory), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
            *sum += entry_hash(child, &info, errno);
            continue;
        }
        /* a link to a file counts as the file (its target is what the analyzer reads); links to
         * directories are not followed (no loops) */
        if (S_ISLNK(info.st_mode) && fstatat(dirfd(directory), entry->d_name, &target, 0) == 0 &&
            !S_ISDIR(target.st_mode)) {
            info = target;
        }
        *sum += entry_hash(child, &info, 0);
        if (S_ISDIR(info.st_mode) && depth < MAX_DEPTH) {
            child_fd = openat(dirfd(directory), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child_fd >= 0) {
                hash_directory(child_fd, child, depth + 1, sum);
            } else {
                *sum += entry_hash(child, &info, errno);
            }
        }
    }
    closedir(directory);
}

/* The files under DIRECTORY as one number; a directory that cannot be opened gives one for its error
 * (the analysis then says what is wrong, and a directory back again differs). Never 0: 0 is "none". */
static uint64_t fingerprint(const char *directory)
{
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    uint64_t sum = 0;
    int error;

    if (fd < 0) {
        error = errno;
        sum = fnv1a(0x84222325cbf29ce4ull, &error, sizeof(error));
    } else {
        hash_directory(fd, "", 0, &sum);
    }
    return sum ? sum : 1;
}

/* DIR@A / DIR@B name a directory DIR (unless a directory has that very name, as the loader decides). */
static char *watched_directory(const char *argument)
{
    size_t length = strlen(argument);
    struct stat info;

    if (length >= 3 && argument[length - 2] == '@' && (argument[length - 1] == 'A' || argument[length - 1] == 'B') &&
        stat(argument, &info) != 0) {
        return strndup(argument, length - 2);
    }
    return strdup(argument);
}

static double seconds_between(const struct timespec *from, const struct timespec *to)
{
    return (double)(to->tv_sec - from->tv_sec) + (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

static struct timespec later_by(struct timespec at, long milliseconds)
{
    at.tv_sec += milliseconds / 1000;
    at.tv_nsec += (milliseconds % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    return at;
}

/* One analysis of the files as they are (WANTED, taken under the lock by the caller), outside the lock. */
static void analyze(vq_live *live, uint64_t sum)
{
    vq_session *session = NULL;
    struct timespec start, end;
    vq_error error;
    bool first;
    double took;

    clock_gettime(CLOCK_MONOTONIC, &start);
    vq_error_clear(&error);
    if (live->load(live->argument, &session, &error) != VQ_OK) {
        vq_session_free(session);
        session = NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    took = seconds_between(&start, &end);
    pthread_mutex_lock(&live->lock);
    first = live->analyses == 0;
    pthread_mutex_unlock(&live->lock);
    live->consumer(live->context, session, session ? NULL : &error, took, first);
    vq_session_free(session);
    clock_gettime(CLOCK_MONOTONIC, &end);
    pthread_mutex_lock(&live->lock);
    live->analyses++;
    live->completed = sum;
    /* rest as long as it took: a session that takes 3 s to read is read at most every 6 s */
    live->rest_until = later_by(end, (long)(took * 1000.0));
    pthread_cond_broadcast(&live->done);
    pthread_mutex_unlock(&live->lock);
}

static void *live_thread(void *argument)
{
    vq_live *live = argument;
    uint64_t sum;

    pthread_mutex_lock(&live->lock);
    for (;;) {
        struct timespec now;

        while (!live->stopping && live->wanted == live->started) {
            pthread_cond_wait(&live->wake, &live->lock);
        }
        if (live->stopping) {
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds_between(&now, &live->rest_until) > 0) {
            pthread_cond_timedwait(&live->wake, &live->lock, &live->rest_until);
            continue;   /* woken early (a stop, a newer request) or rested: look again */
        }
        sum = live->wanted;
        live->started = sum;
        pthread_mutex_unlock(&live->lock);
        analyze(live, sum);
        pthread_mutex_lock(&live->lock);
    }
    pthread_mutex_unlock(&live->lock);
    return NULL;
}

vq_live *vq_live_start(const char *argument, vq_session_loader load, vq_live_consumer consumer, void *context,
                       vq_error *error)
{
    vq_live *live = calloc(1, sizeof(*live));
    pthread_condattr_t monotonic;

    if (!live || !(live->argument = strdup(argument)) || !(live->directory = watched_directory(argument))) {
        vq_error_set(error, "%s: out of memory", argument);
        goto fail;
    }
    live->load = load;
    live->consumer = consumer;
    live->context = context;
    pthread_mutex_init(&live->lock, NULL);
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_cond_init(&live->wake, &monotonic);
    pthread_cond_init(&live->done, &monotonic);
    pthread_condattr_destroy(&monotonic);
    live->wanted = fingerprint(live->directory);   /* the first analysis, at once */
    if (pthread_create(&live->thread, NULL, live_thread, live) != 0) {
        vq_error_set(error, "%s: cannot start the analysis thread: %s", argument, strerror(errno));
        pthread_mutex_destroy(&live->lock);
        pthread_cond_destroy(&live->wake);
        pthread_cond_destroy(&live->done);
        goto fail;
    }
    return live;
fail:
    if (live) {
        free(live->argument);
        free(live->directory);
        free(live);
    }
    return NULL;
}

bool vq_live_refresh(vq_live *live, unsigned wait_ms)
{
    uint64_t sum = fingerprint(live->directory);
    struct timespec deadline;
    bool current;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline = later_by(deadline, (long)wait_ms);
    pthread_mutex_lock(&live->lock);
    if (sum != live->wanted) {
        live->wanted = sum;
        pthread_cond_signal(&live->wake);
    }
    while (live->completed != sum && live->wanted == sum &&
           pthread_cond_timedwait(&live->done, &live->lock, &deadline) == 0) {
    }
    current = live->completed == sum;
    pthread_mutex_unlock(&live->lock);
    return current;
}

unsigned long vq_live_analyses(vq_live *live)
{
    unsigned long analyses;

    pthread_mutex_lock(&live->lock);
    analyses = live->analyses;
    pthread_mutex_unlock(&live->lock);
    return analyses;
}

void vq_live_stop(vq_live *live)
{
    if (!live) {
        return;
    }
    pthread_mutex_lock(&live->lock);
    live->stopping = true;
    pthread_cond_broadcast(&live->wake);
    pthread_mutex_unlock(&live->lock);
    pthread_join(live->thread, NULL);
    pthread_mutex_destroy(&live->lock);
    pthread_cond_destroy(&live->wake);
    pthread_cond_destroy(&live->done);
    free(live->argument);
    free(live->directory);
    free(live);
}
