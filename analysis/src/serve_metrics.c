// SPDX-License-Identifier: GPL-2.0-or-later
/* A recorded session's metrics served over HTTP, re-analyzed when its files change (serve_metrics.h). */
#include "serve_metrics.h"

#include "metrics_server.h"
#include "report_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Session directories nest (LTTng's ust/uid/0/64-bit/); deeper than this is not a session's */
#define MAX_DEPTH 16

typedef struct {
    const char *argument;
    char *directory;          /* what is watched: ARGUMENT, or DIR of DIR@A / DIR@B */
    vq_session_loader load;
    bool serving;             /* the first analysis is done and the server started */
    bool analyzed;            /* FINGERPRINT is that of the last analysis, TEXT or FAILURE its outcome */
    uint64_t fingerprint;
    char *text;               /* the last analysis's exposition text; NULL when it failed */
    size_t size;
    vq_error failure;         /* why the last analysis failed */
} served_session;

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
 * removed. The entries' hashes are summed, so that the order readdir gives them in does not matter. */
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

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
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

static vq_status fingerprint(const char *directory, uint64_t *sum, vq_error *error)
{
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        vq_error_set(error, "%s: cannot read the session directory: %s", directory, strerror(errno));
        return VQ_ERR_IO;
    }
    *sum = 0;
    hash_directory(fd, "", 0, sum);
    return VQ_OK;
}

/* Analyzes the session again if its files changed since the last analysis (or there was none). */
static void refresh(served_session *served)
{
    vq_session *session = NULL;
    uint64_t sum = 0;
    char *text = NULL;
    size_t size = 0;
    vq_error error;
    FILE *out;
    size_t w;

    vq_error_clear(&error);
    if (fingerprint(served->directory, &sum, &error) != VQ_OK) {
        served->analyzed = false;   /* analyzed afresh when the directory is back */
        goto failed;
    }
    if (served->analyzed && sum == served->fingerprint) {
        return;   /* the cached text, or the cached failure: the same files give the same */
    }
    if (served->analyzed) {
        fprintf(stderr, "vqscope-analyze: %s changed: analyzing it again\n", served->argument);
    }
    served->analyzed = true;
    served->fingerprint = sum;
    if (served->load(served->argument, &session, &error) != VQ_OK) {
        goto failed;
    }
    for (w = 0; w < session->warning_count; w++) {
        fprintf(stderr, "vqscope-analyze: warning: %s\n", session->warnings[w]);
    }
    out = open_memstream(&text, &size);
    if (!out) {
        vq_error_set(&error, "%s: out of memory", served->argument);
        goto failed;
    }
    vq_report_metrics(out, session);
    /* a memory stream fails only for want of memory */
    if ((ferror(out) | fclose(out)) != 0) {
        vq_error_set(&error, "%s: out of memory for the metrics text", served->argument);
        goto failed;
    }
    vq_session_free(session);
    free(served->text);
    served->text = text;
    served->size = size;
    vq_error_clear(&served->failure);
    return;
failed:
    /* once serving, each new failure gets a line (a scrape a second must not repeat it); the first
     * analysis's is the command's error */
    if (served->serving && strcmp(error.message, served->failure.message) != 0) {
        fprintf(stderr, "vqscope-analyze: %s\n", error.message);
    }
    served->failure = error;
    vq_session_free(session);
    free(text);
    free(served->text);
    served->text = NULL;
    served->size = 0;
}

/* The server's provider: runs on its one thread, so the cache needs no lock. */
static vq_status provide(void *context, FILE *out, vq_error *error)
{
    served_session *served = context;

    refresh(served);
    if (!served->text) {
        *error = served->failure;
        return VQ_ERR_FORMAT;
    }
    return fwrite(served->text, 1, served->size, out) == served->size ? VQ_OK : VQ_ERR_NOMEM;
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

vq_status vq_serve_session_metrics(const char *argument, const char *address_port, vq_session_loader load,
                                   vq_error *error)
{
    served_session served = { .argument = argument, .load = load };
    vq_metrics_server *server = NULL;
    sigset_t stop_signals, blocked, previous;
    vq_status status = VQ_OK;
    int signal_number = 0;

    vq_error_clear(&served.failure);
    served.directory = watched_directory(argument);
    if (!served.directory) {
        vq_error_set(error, "%s: out of memory", argument);
        return VQ_ERR_NOMEM;
    }
    refresh(&served);
    if (!served.text) {
        *error = served.failure;
        status = VQ_ERR_FORMAT;
        goto end;
    }
    /* Blocked before the server's thread exists, so that it inherits the mask and the signals reach
     * sigwait() here. SIGPIPE too: a client gone mid-answer must not end the process (libmicrohttpd sends
     * with MSG_NOSIGNAL on Linux; this covers anything else). */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    blocked = stop_signals;
    sigaddset(&blocked, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    /* from here until the server stops, only its thread touches SERVED (its start orders this write
     * before the thread's reads) */
    served.serving = true;
    server = vq_metrics_server_start(address_port, NULL, provide, &served, error);
    if (!server) {
        status = VQ_ERR_IO;
        goto restore;
    }
    fprintf(stderr, "vqscope-analyze: serving the metrics of %s at %s (SIGINT or SIGTERM stops)\n", argument,
            vq_metrics_server_url(server));
    while (sigwait(&stop_signals, &signal_number) != 0) {
    }
    vq_metrics_server_stop(server);
    fprintf(stderr, "vqscope-analyze: %s: stopped serving\n", strsignal(signal_number));
restore:
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
end:
    free(served.text);
    free(served.directory);
    return status;
}
