// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vqscope-top: a session while it is recorded, in the manner of kvm_stat: the top view (top_view.h) of
 * the latest analysis (live_session.h: a thread analyzes the session again when its files change), drawn
 * on the terminal every interval. Only options, the screen and the recorder's end here.
 *
 * Threads: the live thread builds each analysis's view and hands it over under SHOWN's lock; the main
 * thread alone draws (curses is not thread-safe), reads the keys and watches the recorder.
 *
 * Exit status: 0 ok (q; --once printed the view); 1 the session cannot be read (--once, or a directory
 * that does not exist with no recorder to make it); 2 usage, or no terminal.
 */
#include "live_session.h"
#include "session.h"
#include "top_view.h"

#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_INPUT_ERROR 1
#define EXIT_USAGE 2
#define KEY_WAIT_MS 100   /* how often keys, signals and the recorder are looked at between draws */

static const char usage_text[] =
    "usage: vqscope-top SESSION-DIR [--recorder-pid PID [--recorder-log FILE]] [--interval SECONDS] [--once]\n"
    "\n"
    "A session directory as it is recorded (or after), kvm_stat-like: requests so far, requests per\n"
    "second, each stage's p50 and p99 over the last second and since the start, kicks, VM exits per\n"
    "request, probe drops. The session is analyzed again whenever its files change; the last second is\n"
    "the second before the latest completion the session holds (guest clock).\n"
    "\n"
    "  --recorder-pid PID   the recorder writing the session (`vqscope top` passes it): q stops it\n"
    "                       with SIGINT, as Ctrl-C would, and waits for it to end; the header says when\n"
    "                       it ended by itself\n"
    "  --recorder-log FILE  the recorder's output: its latest line is shown above the footer\n"
    "  --interval SECONDS   redraw every SECONDS (default 1; 0.1 to 3600)\n"
    "  --once               analyze once and print the view on stdout (no terminal needed)\n"
    "  -h, --help           this text\n"
    "\n"
    "Keys: q quits (stopping the recording first, when there is one).\n"
    "\n"
    "Exit status: 0 ok, 1 the session cannot be read, 2 usage or no terminal.\n"
    "\n"
    "EXAMPLES\n"
    "  vqscope top --mode tcg -o /tmp/session          # records and shows it (bin/vqscope)\n"
    "  vqscope-top results/sessions/60-record-tcg --once\n"
    "  vqscope-top /tmp/session --interval 0.5\n";

typedef struct {
    const char *session;
    pid_t recorder_pid;       /* 0: none */
    const char *recorder_log; /* NULL: none */
    double interval;          /* seconds */
    bool once;
} options;

/* What the screen shows of the analyses. */
typedef struct {
    bool have_view;           /* VIEW is the latest analysis that read */
    vq_top_view view;
    bool failed;              /* the latest analysis failed; FAILURE says why */
    vq_error failure;
    double seconds;           /* how long the latest analysis took */
    time_t analyzed_at;       /* when it ended; 0: no analysis yet */
} analysis_state;

/* Written on the live thread, read (copied) on the main one. */
typedef struct {
    pthread_mutex_t lock;
    analysis_state latest;
} shown_session;

/* The recorder writing the session (bin/vqscope record, started by `vqscope top` before it execs us). */
typedef struct {
    pid_t pid;                /* 0: none given */
    bool running;
    bool stopping;            /* q sent it SIGINT */
    bool reaped;              /* it was our child and WAIT_STATUS is its end */
    int wait_status;
} recorder;

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int signal_number)
{
    quit_signal = signal_number;
}

static int usage_error(const char *message)
{
    fprintf(stderr, "vqscope-top: %s\n%s", message, usage_text);
    return EXIT_USAGE;
}

static int parse_options(int argc, char **argv, options *parsed)
{
    static const struct option long_options[] = {
        { "recorder-pid", required_argument, NULL, 'p' },
        { "interval", required_argument, NULL, 'i' },
        { "recorder-log", required_argument, NULL, 'l' },
        { "once", no_argument, NULL, '1' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char *end;
    long pid;
    int option;

    *parsed = (options){ .interval = 1.0 };
    opterr = 0;   /* our message names the option */
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'p':
            errno = 0;
            pid = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || pid <= 0 || pid > INT_MAX) {
                return usage_error("--recorder-pid must be a process id (a positive integer)");
            }
            parsed->recorder_pid = (pid_t)pid;
            break;
        case 'i':
            errno = 0;
            parsed->interval = strtod(optarg, &end);
            if (errno || end == optarg || *end || !isfinite(parsed->interval) || parsed->interval < 0.1 ||
                parsed->interval > 3600) {
                return usage_error("--interval must be a number of seconds from 0.1 to 3600");
            }
            break;
        case 'l':
            parsed->recorder_log = optarg;
            break;
        case '1':
            parsed->once = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default: {
            /* getopt has moved past the option it could not take */
            char message[128];

            snprintf(message, sizeof(message), option == ':' ? "%s needs a value" : "unknown option %s",
                     argv[optind - 1]);
            return usage_error(message);
        }
        }
    }
    if (optind == argc) {
        return usage_error("no session directory");
    }
    if (optind + 1 < argc) {
        return usage_error("one session directory only");
    }
    parsed->session = argv[optind];
    return 0;
}

/* --once: the view of one analysis, on stdout. */
static int print_once(const char *session_directory)
{
    vq_session *session = NULL;
    vq_top_view *view = malloc(sizeof(*view));
    vq_error error;
    int exit_code = EXIT_INPUT_ERROR;

    vq_error_clear(&error);
    if (!view) {
        vq_error_set(&error, "%s: out of memory", session_directory);
        goto end;
    }
    if (vq_session_load_figures(session_directory, &session, &error) != VQ_OK ||
        vq_top_view_build(session, view, &error) != VQ_OK) {
        goto end;
    }
    vq_top_view_render(view, stdout, 0);
    if (fflush(stdout) != 0) {
        vq_error_set(&error, "stdout: write error: %s", strerror(errno));
        goto end;
    }
    exit_code = 0;
end:
    if (exit_code != 0) {
        fprintf(stderr, "vqscope-top: %s\n", error.message);
    }
    vq_session_free(session);
    free(view);
    return exit_code;
}

/* The live thread's consumer: the view of the session, or why there is none. */
static void keep_view(void *context, const vq_session *session, const vq_error *failure, double seconds, bool first)
{
    shown_session *shown = context;
    vq_top_view *view = malloc(sizeof(*view));   /* built outside the lock: the screen does not wait for it */
    vq_error error;
    bool built = false;

    (void)first;
    vq_error_clear(&error);
    if (!view) {
        vq_error_set(&error, "out of memory for the top view");
    } else if (!session && failure && vq_error_is_set(failure)) {
        error = *failure;
    } else if (!session) {
        vq_error_set(&error, "the analysis failed and did not say why");
    } else {
        built = vq_top_view_build(session, view, &error) == VQ_OK;
    }
    pthread_mutex_lock(&shown->lock);
    shown->latest.failed = !built;
    if (!built) {
        shown->latest.failure = error;
    } else {
        shown->latest.view = *view;
        shown->latest.have_view = true;
    }
    shown->latest.seconds = seconds;
    shown->latest.analyzed_at = time(NULL);
    pthread_mutex_unlock(&shown->lock);
    free(view);
}

/* The live thread, with the signals the main thread handles blocked in it (it inherits the mask), so
 * that they interrupt the main thread's wait for a key. NULL with ERROR set when it cannot start. */
static vq_live *start_live(const char *session_directory, shown_session *shown, vq_error *error)
{
    sigset_t handled, previous;
    vq_live *live;

    sigemptyset(&handled);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &handled, &previous);
    live = vq_live_start(session_directory, vq_session_load_figures, keep_view, shown, error);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return live;
}

/* Whether the recorder still runs. Our child (bin/vqscope execs us after starting it): reaped with
 * waitpid. Not ours (ECHILD): it is gone when kill(PID, 0) finds no such process. */
static void watch_recorder(recorder *r)
{
    pid_t got;

    if (!r->running) {
        return;
    }
    got = waitpid(r->pid, &r->wait_status, WNOHANG);
    if (got == r->pid) {
        r->running = false;
        r->reaped = true;
    } else if (got < 0 && errno == ECHILD && kill(r->pid, 0) != 0 && errno == ESRCH) {
        r->running = false;
    }
}

/*
 * What Ctrl-C in the recorder's terminal would do: SIGINT to its process group. The recorder is a shell
 * script (bin/vqscope record) that traps SIGINT to mark the session partial, but a shell runs its trap
 * only once its foreground command (the guest's run) has ended; the run stops early because its own
 * processes get the signal too. So its whole group when it leads one of its own, else the recorder
 * alone (never a group we are in).
 */
static void stop_recorder(recorder *r)
{
    pid_t group = getpgid(r->pid);

    if (group == r->pid && group != getpgrp()) {
        kill(-group, SIGINT);
    } else {
        kill(r->pid, SIGINT);
    }
    r->stopping = true;
}

/* "status partial, recorder exit 1": meta.json's once the analysis has read it, and the recorder's end. */
static void finished_status(char *buffer, size_t size, const recorder *r, const analysis_state *shown)
{
    const char *status = shown->have_view && shown->view.status[0] && strcmp(shown->view.status, "recording") != 0
                             ? shown->view.status
                             : NULL;
    char end[48] = "";

    if (r->reaped && WIFEXITED(r->wait_status)) {
        snprintf(end, sizeof(end), "recorder exit %d", WEXITSTATUS(r->wait_status));
    } else if (r->reaped && WIFSIGNALED(r->wait_status)) {
        snprintf(end, sizeof(end), "recorder killed by signal %d", WTERMSIG(r->wait_status));
    }
    snprintf(buffer, size, "%s%s%s", status ? status : "", status && end[0] ? ", " : "",
             status || end[0] ? end : "unknown");
}

/* One row of the screen, cut to its width (curses would wrap it onto the next). */
static void put_row(int row, const char *text)
{
    mvaddnstr(row, 0, text, COLS);
}

/* Row 0: the program, the time and the recorder's state. */
static void draw_title(const options *parsed, const recorder *r, const analysis_state *shown)
{
    char clock[16], state[160] = "", status[96], title[256];
    time_t now = time(NULL);
    struct tm local;

    strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &local));
    if (r->pid && r->running && r->stopping) {
        snprintf(state, sizeof(state), "stopping the recording (%d) ...", (int)r->pid);
    } else if (r->pid && r->running) {
        snprintf(state, sizeof(state), "recording (%d)", (int)r->pid);
    } else if (r->pid) {
        finished_status(status, sizeof(status), r, shown);
        snprintf(state, sizeof(state), "recording finished (status %s)", status);
    }
    snprintf(title, sizeof(title), "vqscope-top  %s  every %.1f s  %s", clock, parsed->interval, state);
    attron(A_BOLD);
    put_row(0, title);
    attroff(A_BOLD);
}

/* Row 1: why there is no view, or why the latest analysis did not give one. */
static void draw_message(const options *parsed, vq_live *live, const vq_error *start_failure,
                         const analysis_state *shown)
{
    char message[VQ_ERROR_MAX + 64];

    if (!live) {
        snprintf(message, sizeof(message), "waiting: %s", start_failure->message);
    } else if (shown->failed) {
        snprintf(message, sizeof(message), "%s: %s", shown->have_view ? "latest analysis failed" : "waiting",
                 shown->failure.message);
    } else if (!shown->analyzed_at) {
        snprintf(message, sizeof(message), "analyzing %s ...", parsed->session);
    } else {
        return;
    }
    put_row(1, message);
}

/* The last line of the recorder's log ("" when it has none yet): its progress, or why it failed. The
 * log's end only: a long one is not read whole at every draw. */
static void last_log_line(const char *path, char *buffer, size_t size)
{
    char tail[4096];
    FILE *log = fopen(path, "r");
    size_t length = 0;
    long end;
    char *line;

    buffer[0] = '\0';
    if (!log) {
        return;
    }
    if (fseek(log, 0, SEEK_END) == 0 && (end = ftell(log)) >= 0 &&
        fseek(log, end > (long)sizeof(tail) - 1 ? end - (long)sizeof(tail) + 1 : 0, SEEK_SET) == 0) {
        length = fread(tail, 1, sizeof(tail) - 1, log);
    }
    fclose(log);
    tail[length] = '\0';
    while (length > 0 && (tail[length - 1] == '\n' || tail[length - 1] == '\r')) {
        tail[--length] = '\0';
    }
    line = strrchr(tail, '\n');
    snprintf(buffer, size, "%s", line ? line + 1 : tail);
}

/* Rows FIRST_ROW .. LAST_ROW: the view's lines, as vq_top_view_render writes them for this width. */
static void draw_view(const vq_top_view *view, int first_row, int last_row)
{
    char *text = NULL, *line, *next;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int row = first_row;

    if (!out) {
        put_row(first_row, "out of memory for the screen");
        return;
    }
    vq_top_view_render(view, out, COLS);
    fclose(out);
    /* by hand: strtok_r would merge the empty lines that separate the sections */
    for (line = text; line && *line && row <= last_row; line = next, row++) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        put_row(row, line);
    }
    free(text);
}

/* The last row: the analyses and the keys. */
static void draw_footer(vq_live *live, const recorder *r, const analysis_state *shown)
{
    const char *keys = r->running && !r->stopping ? "q: stop the recording and quit" : "q: quit";
    char footer[256], at[16] = "";
    struct tm local;

    if (shown->analyzed_at) {
        strftime(at, sizeof(at), "%H:%M:%S", localtime_r(&shown->analyzed_at, &local));
        snprintf(footer, sizeof(footer), " analysis %lu at %s took %.2f s   %s", live ? vq_live_analyses(live) : 0ul,
                 at, shown->seconds, keys);
    } else {
        snprintf(footer, sizeof(footer), " no analysis yet   %s", keys);
    }
    attron(A_REVERSE);
    mvhline(LINES - 1, 0, ' ', COLS);
    put_row(LINES - 1, footer);
    attroff(A_REVERSE);
}

static void draw(const options *parsed, vq_live *live, const vq_error *start_failure, const recorder *r,
                 shown_session *shown)
{
    analysis_state now;
    char log_line[512], row[600];
    int last_view_row = LINES - 2;

    pthread_mutex_lock(&shown->lock);
    now = shown->latest;
    pthread_mutex_unlock(&shown->lock);
    erase();
    draw_title(parsed, r, &now);
    draw_message(parsed, live, start_failure, &now);
    if (parsed->recorder_log) {
        last_log_line(parsed->recorder_log, log_line, sizeof(log_line));
        snprintf(row, sizeof(row), "recorder: %s", log_line);
        put_row(LINES - 2, row);
        last_view_row = LINES - 3;
    }
    if (now.have_view) {
        draw_view(&now.view, 2, last_view_row);
    }
    draw_footer(live, r, &now);
    refresh();
}

static double monotonic_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The screen until q (and the recorder's end, when q stopped it). */
static int watch(const options *parsed, shown_session *shown)
{
    recorder r = { .pid = parsed->recorder_pid, .running = parsed->recorder_pid != 0 };
    struct sigaction quit_action = { .sa_handler = on_quit_signal };   /* no SA_RESTART: wakes getch */
    vq_error start_failure;
    struct stat info;
    vq_live *live = NULL;
    SCREEN *screen;
    double next_draw = 0;
    bool quit = false;

    vq_error_clear(&start_failure);
    watch_recorder(&r);
    /* Without a recorder nothing is going to make the directory: say so now, not on a screen. With one,
     * it may not have made it yet: the screen says "waiting" until it has. */
    if (!r.running && stat(parsed->session, &info) != 0) {
        fprintf(stderr, "vqscope-top: %s: %s\n", parsed->session, strerror(errno));
        return EXIT_INPUT_ERROR;
    }
    live = start_live(parsed->session, shown, &start_failure);
    if (!live && !r.running) {
        fprintf(stderr, "vqscope-top: %s\n", start_failure.message);
        return EXIT_INPUT_ERROR;
    }
    /* ours before curses starts: it installs its own (restore and exit) only where the default is */
    sigaction(SIGINT, &quit_action, NULL);
    sigaction(SIGTERM, &quit_action, NULL);
    sigaction(SIGHUP, &quit_action, NULL);
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        vq_live_stop(live);
        fprintf(stderr, "vqscope-top: cannot drive this terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
        return EXIT_USAGE;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(KEY_WAIT_MS);
    while (!quit) {
        bool redraw = false;
        int key;

        watch_recorder(&r);
        if (!live) {
            /* the recorder has not made the directory yet */
            live = start_live(parsed->session, shown, &start_failure);
            redraw = live != NULL;
        }
        if (monotonic_seconds() >= next_draw || redraw) {
            if (live) {
                vq_live_refresh(live, 0);
            }
            draw(parsed, live, &start_failure, &r, shown);
            next_draw = monotonic_seconds() + parsed->interval;
        }
        key = getch();
        if (key == 'q' || key == 'Q' || quit_signal) {
            quit_signal = 0;
            if (r.running && !r.stopping) {
                stop_recorder(&r);
                next_draw = 0;
            } else if (!r.running) {
                quit = true;
            }
        } else if (key == KEY_RESIZE) {
            next_draw = 0;
        }
        if (r.stopping && !r.running) {
            quit = true;
        }
    }
    endwin();
    delscreen(screen);
    vq_live_stop(live);
    return 0;
}

int main(int argc, char **argv)
{
    options parsed;
    shown_session *shown;
    int exit_code = parse_options(argc, argv, &parsed);

    if (exit_code != 0) {
        return exit_code;
    }
    vq_session_tune_malloc();
    if (parsed.once) {
        return print_once(parsed.session);
    }
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
        fprintf(stderr, "vqscope-top: %s is not a terminal: the live view needs one (--once prints the view)\n",
                isatty(STDOUT_FILENO) ? "stdin" : "stdout");
        return EXIT_USAGE;
    }
    /* on the heap: the view is a few KB, and the live thread holds a pointer to it until it stops */
    shown = calloc(1, sizeof(*shown));
    if (!shown) {
        fprintf(stderr, "vqscope-top: out of memory\n");
        return EXIT_INPUT_ERROR;
    }
    pthread_mutex_init(&shown->lock, NULL);
    exit_code = watch(&parsed, shown);
    pthread_mutex_destroy(&shown->lock);
    free(shown);
    return exit_code;
}
