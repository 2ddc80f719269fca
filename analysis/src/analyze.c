// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vqscope-analyze: one recorded session -> per-request stages, clock alignment, kick and exit reports;
 * or two sessions compared; or a Perfetto export. Only option parsing and wiring here: the model is
 * session.c, statistics stats.c, output report.c.
 *
 * Exit status: 0 ok; 1 unreadable or malformed input, or a write error; 2 usage error.
 */
#include "metrics_server.h"
#include "qemu_events.h"
#include "report.h"
#include "serve_metrics.h"
#include "session.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXIT_INPUT_ERROR 1
#define EXIT_USAGE 2
#define MAX_BOOTS 32
#define OPTION_SERVE_METRICS 256   /* long options without a letter */
#define OPTION_FOLLOW 257

static const char usage_text[] =
    "usage: vqscope-analyze [report] SESSION [--format text|csv|json|prometheus] [--requests] [-o FILE]\n"
    "       vqscope-analyze [report] SESSION --serve-metrics ADDR:PORT [--follow]\n"
    "       vqscope-analyze compare SESSION_A[,...] SESSION_B[,...] [--format text|csv|json] [--resamples N]\n"
    "                       [--seed N] [-o FILE]\n"
    "       vqscope-analyze perfetto SESSION -o FILE\n"
    "\n"
    "Follows each virtio request of a session recorded by `vqscope record` through the guest, KVM and\n"
    "QEMU: stages per request, clock alignment (guest -> host, from causality), kicks, interrupts and\n"
    "VM exits.\n"
    "\n"
    "  SESSION            a session directory, or DIR@A / DIR@B: one disk of an A/B session (vqscope\n"
    "                     record --ab): what happened during that disk's blocks\n"
    "  report             (default) the session report; csv = the per-request table\n"
    "  compare            per-stage medians of A and B, the shift B - A with a bootstrap 95% interval\n"
    "                     (deterministic: --seed; two disks of an A/B session: blocks resampled), exits\n"
    "                     per request and the host's cost per request. A side may list several sessions,\n"
    "                     comma-separated: boots of one setting, pooled, the interval resampling boots\n"
    "                     (hierarchical bootstrap; up to 32 a side)\n"
    "  perfetto           Chrome trace event JSON for ui.perfetto.dev: guest, vCPU and QEMU tracks, one\n"
    "                     slice per stage per request, flows linking a request across layers\n"
    "  -f, --format F     text (default), csv or json; report: also prometheus (the session's figures as\n"
    "                     metrics in the text exposition format, e.g. for node_exporter's textfile\n"
    "                     collector: stage histograms, request, kick, exit and drop counters)\n"
    "  --serve-metrics ADDR:PORT  serve the session's prometheus text over HTTP at\n"
    "                     http://ADDR:PORT/metrics (a Prometheus scrape target) until SIGINT or SIGTERM;\n"
    "                     a scrape analyzes the session again if its files changed. ADDR: an IPv4\n"
    "                     address, localhost or [IPv6]; PORT 1..65535\n"
    "  --follow           with --serve-metrics: the session is being recorded (vqscope record\n"
    "                     --metrics): until it reads, scrapes get a 500 saying why; the first scrape\n"
    "                     served the finished session's text is said on stderr\n"
    "  -r, --requests     text: add the per-request table (us); json: add \"rows\", one per request\n"
    "                     (without: the analysis keeps no row per request)\n"
    "  -o, --output FILE  write there instead of stdout\n"
    "  -n, --resamples N  bootstrap resamples (default 2000)\n"
    "  -s, --seed N       bootstrap seed (default 1)\n"
    "  -h, --help         this text\n"
    "\n"
    "Stages (ns): submit>kick, kick>exit (guest kick -> kvm_exit of the doorbell write), exit>signal\n"
    "(-> ioeventfd_write, or kvm_userspace_exit MMIO with ioeventfd off), signal>handler (->\n"
    VQ_QEMU_EVENT_VIRTIO_QUEUE_NOTIFY "), handler>begin, begin>end (device backend), end>inject (->"
    " kvm_msi_set_irq or\n"
    "irqfd_wakeup), inject>irq (-> guest irq), irq>complete, total (submit -> complete). See README.md.\n"
    "\n"
    "Exit status: 0 ok, 1 unreadable or malformed input, 2 usage.\n"
    "\n"
    "EXAMPLES\n"
    "  vqscope-analyze results/sessions/61-record-lab-ioeventfd-on\n"
    "  vqscope-analyze results/sessions/61-record-lab-ioeventfd-on --format csv -o requests.csv\n"
    "  vqscope-analyze compare results/sessions/62-record-lab-ioeventfd-off \\\n"
    "                          results/sessions/61-record-lab-ioeventfd-on --format json\n"
    "  vqscope-analyze perfetto results/sessions/61-record-lab-ioeventfd-on -o trace.json\n"
    "  vqscope-analyze compare results/sessions/ab@A results/sessions/ab@B\n"
    "  vqscope-analyze compare run1@A,run2@A,run3@A run1@B,run2@B,run3@B\n"
    "  vqscope-analyze results/sessions/60-record-tcg --serve-metrics 127.0.0.1:9464\n";

typedef enum { COMMAND_REPORT, COMMAND_COMPARE, COMMAND_PERFETTO } command;

typedef struct {
    command command;
    const char *sessions[2];
    size_t session_count;
    vq_format format;
    const char *output;
    vq_report_options report;
    const char *serve_metrics;   /* --serve-metrics ADDR:PORT, or NULL */
    bool follow;                 /* --follow */
} options;

static int usage_error(const char *message)
{
    fprintf(stderr, "vqscope-analyze: %s\n%s", message, usage_text);
    return EXIT_USAGE;
}

/* --serve-metrics: the address parses, and nothing asks for another output. */
static int check_serve_metrics(const options *parsed)
{
    struct sockaddr_storage address;
    socklen_t length;
    vq_error error;

    if (vq_metrics_parse_address(parsed->serve_metrics, &address, &length, &error) != VQ_OK) {
        return usage_error(error.message);
    }
    if (parsed->command != COMMAND_REPORT) {
        return usage_error("--serve-metrics serves the report of one session");
    }
    if (parsed->output || (parsed->format != VQ_FORMAT_TEXT && parsed->format != VQ_FORMAT_PROMETHEUS)) {
        return usage_error("--serve-metrics serves the prometheus format over HTTP: no -o or other --format");
    }
    return 0;
}

static bool parse_unsigned(const char *text, uint64_t *value)
{
    char *end = NULL;

    errno = 0;
    *value = strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

static int parse_options(int argc, char **argv, options *parsed)
{
    static const struct option long_options[] = {
        { "format", required_argument, NULL, 'f' },
        { "requests", no_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' },
        { "resamples", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "serve-metrics", required_argument, NULL, OPTION_SERVE_METRICS },
        { "follow", no_argument, NULL, OPTION_FOLLOW },
        { NULL, 0, NULL, 0 },
    };
    uint64_t value;
    size_t wanted;
    int option, i;

    *parsed = (options){ .report = { .resamples = 2000, .seed = 1 } };
    while ((option = getopt_long(argc, argv, "f:ro:n:s:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'f':
            if (strcmp(optarg, "text") == 0) {
                parsed->format = VQ_FORMAT_TEXT;
            } else if (strcmp(optarg, "csv") == 0) {
                parsed->format = VQ_FORMAT_CSV;
            } else if (strcmp(optarg, "json") == 0) {
                parsed->format = VQ_FORMAT_JSON;
            } else if (strcmp(optarg, "prometheus") == 0) {
                parsed->format = VQ_FORMAT_PROMETHEUS;
            } else {
                return usage_error("--format must be text, csv, json or prometheus");
            }
            break;
        case 'r':
            parsed->report.requests = true;
            break;
        case 'o':
            parsed->output = optarg;
            break;
        case 'n':
            if (!parse_unsigned(optarg, &value) || value == 0 || value > 1000000) {
                return usage_error("--resamples must be 1 to 1000000");
            }
            parsed->report.resamples = (unsigned)value;
            break;
        case 's':
            if (!parse_unsigned(optarg, &value)) {
                return usage_error("--seed must be an unsigned integer");
            }
            parsed->report.seed = value;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case OPTION_SERVE_METRICS:
            parsed->serve_metrics = optarg;
            break;
        case OPTION_FOLLOW:
            parsed->follow = true;
            break;
        default:
            return usage_error("unknown option");
        }
    }
    i = optind;
    if (i < argc && strcmp(argv[i], "compare") == 0) {
        parsed->command = COMMAND_COMPARE;
        i++;
    } else if (i < argc && strcmp(argv[i], "perfetto") == 0) {
        parsed->command = COMMAND_PERFETTO;
        i++;
    } else if (i < argc && strcmp(argv[i], "report") == 0) {
        i++;
    }
    wanted = parsed->command == COMMAND_COMPARE ? 2 : 1;
    for (; i < argc; i++) {
        if (parsed->session_count == wanted) {
            return usage_error("too many session directories");
        }
        parsed->sessions[parsed->session_count++] = argv[i];
    }
    for (i = 0; parsed->command == COMMAND_COMPARE && (size_t)i < parsed->session_count; i++) {
        const char *c = parsed->sessions[i];
        size_t items = 1;

        while ((c = strchr(c, ',')) != NULL) {
            items++, c++;
        }
        if (items > MAX_BOOTS) {
            return usage_error("more than 32 sessions on one side of the compare");
        }
    }
    if (parsed->session_count != wanted) {
        return usage_error(wanted == 2 ? "compare needs two session directories" : "no session directory");
    }
    if (parsed->format == VQ_FORMAT_PROMETHEUS && parsed->command != COMMAND_REPORT) {
        return usage_error("--format prometheus is for the report of one session");
    }
    if (parsed->command == COMMAND_PERFETTO && !parsed->output) {
        return usage_error("perfetto needs -o FILE");
    }
    if (parsed->follow && !parsed->serve_metrics) {
        return usage_error("--follow goes with --serve-metrics");
    }
    return parsed->serve_metrics ? check_serve_metrics(parsed) : 0;
}

/* SESSION, or SESSION@A / SESSION@B: one disk of an A/B session (a directory of that name wins). */
static vq_status load_argument_with(const char *argument, const vq_load_options *load, vq_session **session,
                                    vq_error *error)
{
    size_t length = strlen(argument);
    struct stat info;
    char *directory;
    vq_status status;

    if (length < 3 || argument[length - 2] != '@' || (argument[length - 1] != 'A' && argument[length - 1] != 'B') ||
        stat(argument, &info) == 0) {
        return vq_session_load_with(argument, 0, load, session, error);
    }
    directory = strndup(argument, length - 2);
    if (!directory) {
        vq_error_set(error, "%s: out of memory", argument);
        return VQ_ERR_NOMEM;
    }
    status = vq_session_load_with(directory, argument[length - 1], load, session, error);
    free(directory);
    return status;
}

/* With every request's row: the compare resamples them. */
static vq_status load_argument(const char *argument, vq_session **session, vq_error *error)
{
    return load_argument_with(argument, &(vq_load_options){ .rows = true }, session, error);
}

/* The metrics are the session's figures: no rows. */
static vq_status load_for_metrics(const char *argument, vq_session **session, vq_error *error)
{
    return load_argument_with(argument, &(vq_load_options){ .rows = false }, session, error);
}

/* The sessions of one side of a compare: SESSION[,SESSION...] (boots of one setting; a directory whose
 * name holds the comma wins), each loaded into SIDE (room for MAX_BOOTS: parse_options counted). */
static vq_status load_side(const char *argument, vq_session **side, size_t *count, vq_error *error)
{
    struct stat info;
    char *list, *item, *save = NULL;
    vq_status status = VQ_OK;

    if (!strchr(argument, ',') || stat(argument, &info) == 0) {
        *count = 1;
        return load_argument(argument, &side[0], error);
    }
    list = strdup(argument);
    if (!list) {
        vq_error_set(error, "%s: out of memory", argument);
        return VQ_ERR_NOMEM;
    }
    for (item = strtok_r(list, ",", &save); item && status == VQ_OK; item = strtok_r(NULL, ",", &save)) {
        status = load_argument(item, &side[(*count)++], error);
    }
    free(list);
    return status;
}

int main(int argc, char **argv)
{
    options parsed;
    vq_session *sessions[2][MAX_BOOTS] = { { NULL } };
    size_t counts[2] = { 0, 0 };
    vq_error error;
    FILE *out = stdout;
    vq_status status = VQ_OK;
    int exit_code = parse_options(argc, argv, &parsed);
    size_t i, s;

    vq_session_tune_malloc();
    vq_error_clear(&error);
    if (exit_code != 0) {
        goto end;
    }
    if (parsed.serve_metrics) {
        status = vq_serve_session_metrics(parsed.sessions[0], parsed.serve_metrics, load_for_metrics, parsed.follow,
                                          &error);
        goto end;
    }
    for (i = 0; i < parsed.session_count; i++) {
        if (parsed.command == COMMAND_COMPARE) {
            status = load_side(parsed.sessions[i], sessions[i], &counts[i], &error);
        } else {
            /* Rows only for what prints each request: the others are drawn from the accumulators. */
            vq_load_options load = { .rows = parsed.command == COMMAND_PERFETTO || parsed.format == VQ_FORMAT_CSV ||
                                             parsed.report.requests };

            counts[i] = 1;
            status = load_argument_with(parsed.sessions[i], &load, &sessions[i][0], &error);
        }
        if (status != VQ_OK) {
            goto end;
        }
        for (s = 0; s < counts[i] && (parsed.format != VQ_FORMAT_TEXT || parsed.command != COMMAND_REPORT); s++) {
            /* Machine formats and other commands keep warnings on stderr (JSON also lists them). */
            size_t w;

            for (w = 0; w < sessions[i][s]->warning_count; w++) {
                fprintf(stderr, "vqscope-analyze: warning: %s\n", sessions[i][s]->warnings[w]);
            }
        }
    }
    if (parsed.output) {
        out = fopen(parsed.output, "w");
        if (!out) {
            vq_error_set(&error, "%s: cannot create: %s", parsed.output, strerror(errno));
            status = VQ_ERR_IO;
            out = stdout;
            goto end;
        }
    }
    switch (parsed.command) {
    case COMMAND_REPORT:
        status = vq_report_session(out, sessions[0][0], parsed.format, &parsed.report);
        if (status == VQ_ERR_USAGE) {
            vq_error_set(&error, "%s: loaded without its requests' rows: cannot report each request",
                         parsed.sessions[0]);
        }
        break;
    case COMMAND_COMPARE:
        status = vq_report_compare(out, &(vq_side){ (const vq_session *const *)sessions[0], counts[0] },
                                   &(vq_side){ (const vq_session *const *)sessions[1], counts[1] }, parsed.format,
                                   &parsed.report);
        break;
    case COMMAND_PERFETTO:
        status = vq_report_perfetto(out, sessions[0][0]);
        if (status == VQ_ERR_USAGE) {
            vq_error_set(&error, "%s: no usable clock alignment: cannot place guest and host on one timeline",
                         parsed.sessions[0]);
        }
        break;
    }
    if (status != VQ_OK && !vq_error_is_set(&error)) {
        vq_error_set(&error, "%s: write error: %s", parsed.output ? parsed.output : "stdout", strerror(errno));
    }
end:
    if (out != stdout && fclose(out) != 0 && status == VQ_OK) {
        vq_error_set(&error, "%s: write error: %s", parsed.output, strerror(errno));
        status = VQ_ERR_IO;
    }
    if (exit_code == 0 && status != VQ_OK) {
        fprintf(stderr, "vqscope-analyze: %s\n", error.message);
        exit_code = EXIT_INPUT_ERROR;
    }
    for (i = 0; i < 2; i++) {
        for (s = 0; s < counts[i]; s++) {
            vq_session_free(sessions[i][s]);
        }
    }
    return exit_code;
}
