// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's passes (analysis/src/stream_align.h) against the batch alignment
 * (alignment.c) of the same session: pass B, the kick pairing read in step, must give the batch's pairs
 * (every kick with the same host event), its set-aside host events, its count of host events and the
 * same upper lines along the kick bounds on every CPU (the irq pairing's estimates); pass C, the irq
 * pairing, the batch's device injections, pairs, rejections and lower lines; pass D, the solve, the
 * session's alignment and each CPU's offset; then the offset chosen and checked (offset_stream.c), the
 * batch's offset, check, TSC figures and warnings. And the streaming merges (pair_stream.c) against
 * vq_pair_forward_selected and vq_pair_backward_selected, and the solve's interval taken shuffled and
 * merged against the array's, on drawn inputs.
 *
 *   analysis_stream [SESSION...]   (none: the lab fixture session)
 */
#include "check.h"
#include "session_dir.h"
#include "stream_align.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *must(void *pointer)
{
    if (!pointer) {
        fprintf(stderr, "analysis_stream: out of memory\n");
        exit(1);
    }
    return pointer;
}

/* ---- the streaming merge ---- */

/*
 * Drawn guest and host times (the host ones in order, sometimes equal, some events of another queue),
 * estimates that vary as per-CPU lines do: the merge fed as a streaming pass feeds it (every host event
 * up to a guest event's latest time before it), with what no later guest event can reach passed now and
 * then, gives vq_pair_forward_selected's (BACKWARD: vq_pair_backward_selected's) pairs.
 */
static void test_pair_stream(bool backward)
{
    unsigned long long seed = backward ? 0xb4c7ULL : 0x9a17ULL;
    /* backward: a narrow window and gaps in the host events, so that pairings fail and the stream holds
     * events a later guest event may still take, or may not */
    int64_t window = backward ? VQ_PAIR_WINDOW_NS / 500 : VQ_PAIR_WINDOW_NS / 100;
    int64_t ahead = backward ? VQ_PAIR_SLACK_NS : window;
    int trial;

    for (trial = 0; trial < 300; trial++) {
        size_t guests = check_random(&seed) % 200, hosts = check_random(&seed) % 250, g, h = 0, same = 0;
        uint64_t *guest = must(calloc(guests + 1, sizeof(*guest))), *host = must(calloc(hosts + 1, sizeof(*host)));
        uint32_t *guest_queue = must(calloc(guests + 1, sizeof(*guest_queue)));
        uint32_t *host_queue = must(calloc(hosts + 1, sizeof(*host_queue)));
        int64_t *estimate = must(calloc(guests + 1, sizeof(*estimate)));
        ssize_t *pairs = must(calloc(guests + 1, sizeof(*pairs)));
        int64_t *later = must(calloc(guests + 1, sizeof(*later)));
        vq_pair_selection selection = { .guest_queue = guest_queue, .host_queue = host_queue, .queue = 1 };
        vq_pair_stream stream = { 0 };
        uint64_t t = 1000000;
        int64_t base = (int64_t)(check_random(&seed) % 2000000) - 1000000;

        for (g = 0; g < guests; g++) {
            t += check_random(&seed) % 40000;
            guest[g] = t;
            guest_queue[g] = (uint32_t)(check_random(&seed) % 3 == 0);
            estimate[g] = base + (int64_t)(check_random(&seed) % (backward ? 200000 : 30000));
        }
        t = 1000000 + (uint64_t)(base > 0 ? base : 0);
        for (h = 0; h < hosts; h++) {
            t += check_random(&seed) % 5 == 0 ? 0 : check_random(&seed) % (backward && h % 16 < 4 ? 400000 : 45000);
            host[h] = t;
            host_queue[h] = (uint32_t)(check_random(&seed) % 3 == 0);
        }
        (backward ? vq_pair_backward_selected : vq_pair_forward_selected)(guest, guests, host, hosts, estimate,
                                                                          VQ_PAIR_SLACK_NS, window, &selection, pairs);
        for (g = guests; g-- > 0;) {   /* the smallest latest time of the selected guest events after G */
            later[g] = g + 1 < guests ? later[g + 1] : INT64_MAX;
            if (g + 1 < guests && guest_queue[g + 1] == 1) {
                int64_t next = (int64_t)guest[g + 1] + estimate[g + 1] + VQ_PAIR_SLACK_NS;

                later[g] = next < later[g] ? next : later[g];
            }
        }
        h = 0;
        for (g = 0; g < guests; g++) {
            vq_pair_host pair;
            bool paired;

            if (guest_queue[g] != 1) {
                continue;
            }
            for (; h < hosts && (int64_t)host[h] <= (int64_t)guest[g] + estimate[g] + ahead; h++) {
                vq_pair_host one = { .ts = host[h], .index = h, .queue = host_queue[h] };

                if (host_queue[h] == 1) {
                    CHECK(vq_pair_stream_add(&stream, &one));
                }
            }
            paired = backward ? vq_pair_stream_backward(&stream, guest[g], estimate[g], VQ_PAIR_SLACK_NS, window, &pair)
                              : vq_pair_stream_forward(&stream, guest[g], estimate[g], VQ_PAIR_SLACK_NS, window, &pair);
            same += paired ? pairs[g] == (ssize_t)pair.index : pairs[g] < 0;
            /* passing what no later guest event can take changes nothing: the tightest floors, from
             * the later guest events' earliest (forward) or latest (backward) times */
            if (backward) {
                vq_pair_stream_drop_behind(&stream, later[g]);
            } else if (g % 7 == 0) {
                vq_pair_stream_drop_before(&stream, (int64_t)guest[g] + base - VQ_PAIR_SLACK_NS - 1);
            }
        }
        for (g = 0; g < guests; g++) {
            same += guest_queue[g] != 1;
        }
        CHECK(same == guests);
        vq_pair_stream_free(&stream);
        free(guest);
        free(host);
        free(guest_queue);
        free(host_queue);
        free(estimate);
        free(pairs);
        free(later);
    }
}

/* ---- pass B against the batch's kick pairing ---- */

static bool same_line(const vq_bound_line *a, const vq_bound_line *b)
{
    return a->usable == b->usable && (!a->usable || (a->at_guest_ns == b->at_guest_ns && a->slope == b->slope &&
                                                     a->value == b->value));
}

/* The lines of the bounds of one side (MAX: lower) against the hulls', every CPU's and each one's:
 * whether all are the same (*SAME of *CPUS CPUs' with bounds). */
static bool lines_match(const vq_constraint *bounds, size_t n, bool max, vq_running_hull *all, vq_running_hull *cpu,
                        size_t *same, size_t *cpus)
{
    vq_bound_line whole = vq_bound_line_fit(bounds, n, max, VQ_ANY_CPU), streamed = vq_bound_line_from_hull(all);
    bool all_same = same_line(&whole, &streamed);
    size_t c;

    *same = *cpus = 0;
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_bound_line one = vq_bound_line_fit(bounds, n, max, (uint32_t)c);

        if (one.usable || cpu[c].bounds) {
            streamed = vq_bound_line_from_hull(&cpu[c]);
            (*cpus)++;
            *same += same_line(&one, &streamed);
        }
    }
    return all_same && *same == *cpus;
}

/* Pass C after A and B (IDS, KICKS) against BATCH's irq pairing: its injections, pairs, rejections and
 * lower lines, and whether the pairings went queue by queue. */
static bool test_irq_pairs(const char *directory, const vq_loader *batch, const vq_id_bounds *ids,
                           vq_kick_pairs *kicks, vq_irq_pairs *out)
{
    vq_constraint *lower = must(malloc((batch->constraint_count + 1) * sizeof(*lower)));
    vq_irq_pairs pairs;
    vq_error error;
    size_t n = 0, i, same, cpus;
    uint64_t pair_sum = 0;

    for (i = 0; i < batch->constraint_count; i++) {
        if (batch->constraints[i].source == VQ_BOUND_INJECT_IRQ) {
            lower[n++] = batch->constraints[i];
        }
    }
    for (i = 0; i < batch->irq_count; i++) {
        if (batch->irqs[i].injection != VQ_NO_INDEX) {
            pair_sum += (uint64_t)(i + 1) * batch->injections[batch->device_injections[batch->irqs[i].injection]].ts;
        }
    }
    vq_error_clear(&error);
    if (vq_irq_pairs_stream(directory, ids, kicks, &pairs, &error) != VQ_OK) {
        fprintf(stderr, "%s: irq pairing: %s\n", directory, error.message);
        CHECK(false);
        free(lower);
        return false;
    }
    CHECK(pairs.host_injections == batch->session->kick.host_injections);
    CHECK(pairs.bounds == n && n == batch->session->lower_from_irqs && n == batch->session->kick.irqs_paired);
    CHECK(pairs.rejected == batch->session->lower_irqs_rejected);
    CHECK(pairs.pair_sum == pair_sum);
    CHECK(pairs.disordered == 0 && pairs.released_late == 0);
    CHECK(batch->paired_per_queue == (kicks->paired && kicks->per_queue && (!pairs.paired || pairs.per_queue)));
    CHECK(lines_match(lower, n, true, &pairs.all, pairs.cpu, &same, &cpus));
    printf("  irq pairing streamed (%s): %" PRIu64 " pairs (batch %zu) of %" PRIu64 " injections, %" PRIu64
           " rejected, %s, %u read%s; %zu CPUs' lower lines the same of %zu; at most %zu irqs waiting and %zu host "
           "records held\n", pairs.synthesized ? "QEMU's notifies" : "KVM's injections", pairs.bounds, n,
           pairs.host_injections, pairs.rejected, pairs.per_queue ? "queue by queue" : "one sequence", pairs.reads,
           pairs.reads == 1 ? "" : "s", same, cpus, pairs.most_irqs, pairs.most_host);
    *out = pairs;
    free(lower);
    return true;
}

static bool same_interval(const vq_offset_interval *a, const vq_offset_interval *b)
{
    return a->upper_count == b->upper_count && a->lower_count == b->lower_count && a->has_hi == b->has_hi &&
           a->has_lo == b->has_lo && (!a->has_hi || (a->hi == b->hi && a->hi_guest_ns == b->hi_guest_ns)) &&
           (!a->has_lo || (a->lo == b->lo && a->lo_guest_ns == b->lo_guest_ns));
}

static bool same_alignment(const vq_alignment *a, const vq_alignment *b)
{
    const vq_drift_line *x = &a->line, *y = &b->line;

    return same_interval(&a->whole, &b->whole) && same_interval(&a->first, &b->first) &&
           same_interval(&a->second, &b->second) && a->split_guest_ns == b->split_guest_ns &&
           a->contradiction == b->contradiction && a->contradiction_ns == b->contradiction_ns &&
           a->drift_detected == b->drift_detected && a->drift_ppm == b->drift_ppm &&
           a->drift_bounded == b->drift_bounded && a->drift_min_ppm == b->drift_min_ppm &&
           a->drift_max_ppm == b->drift_max_ppm && a->offset == b->offset && a->usable == b->usable &&
           x->usable == y->usable && x->slope_ppm == y->slope_ppm && x->from_guest_ns == y->from_guest_ns &&
           x->to_guest_ns == y->to_guest_ns && x->lo == y->lo && x->hi == y->hi && x->width == y->width;
}

static bool same_offset(const vq_clock_offset *a, const vq_clock_offset *b)
{
    return a->usable == b->usable && a->method == b->method && a->from_guest_ns == b->from_guest_ns &&
           a->to_guest_ns == b->to_guest_ns && a->from_offset == b->from_offset && a->to_offset == b->to_offset &&
           a->error_ns == b->error_ns;
}

/*
 * The solve's interval taken in any order (a streaming pass joins its bounds out of array order, and the
 * passes' summaries are merged): drawn bounds with few distinct values (ties), added shuffled into three
 * summaries then merged, give vq_interval_from_constraints's interval over the array: the binding
 * bounds' guest times those of the first of equals in the array.
 */
static void test_interval_ties(void)
{
    unsigned long long seed = 0x71e5ULL;
    int trial;

    for (trial = 0; trial < 200; trial++) {
        size_t n = 1 + check_random(&seed) % 300, i;
        vq_constraint *bounds = must(calloc(n, sizeof(*bounds)));
        size_t *shuffled = must(calloc(n, sizeof(*shuffled)));
        vq_bound_summary parts[3] = { 0 };
        vq_offset_interval batch;

        for (i = 0; i < n; i++) {
            bounds[i] = (vq_constraint){ .guest_ns = 1000 + check_random(&seed) % 100000,
                                         .value = (int64_t)(check_random(&seed) % 4), .upper = check_random(&seed) % 2,
                                         .cpu = (uint32_t)(check_random(&seed) % 3) };
            shuffled[i] = i;
        }
        for (i = n; i-- > 1;) {
            size_t j = check_random(&seed) % (i + 1), t = shuffled[i];

            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        for (i = 0; i < n; i++) {
            vq_bound_summary_add(&parts[check_random(&seed) % 3], &bounds[shuffled[i]], VQ_BOUND_ORDER(0, shuffled[i]));
        }
        vq_bound_summary_merge(&parts[0], &parts[1]);
        vq_bound_summary_merge(&parts[0], &parts[2]);
        batch = vq_interval_from_constraints(bounds, n, 0, UINT64_MAX);
        CHECK(same_interval(&parts[0].cpu[VQ_GUEST_MAX_CPUS].whole.interval, &batch) &&
              parts[0].cpu[VQ_GUEST_MAX_CPUS].n == n);
        free(bounds);
        free(shuffled);
    }
}

/* Pass D after A-C against BATCH's solve: the session's alignment, and each CPU's offset (*SOLVED). */
static bool test_solve(const char *directory, const vq_loader *batch, vq_id_bounds *ids, vq_kick_pairs *kicks,
                       vq_irq_pairs *irqs, vq_solved *out)
{
    vq_clock_offset offsets[VQ_GUEST_MAX_CPUS];
    vq_solved solved;
    vq_error error;
    int64_t contradiction;
    uint32_t worst, cpu;
    size_t cpus, same = 0;

    vq_error_clear(&error);
    if (vq_solve_stream(directory, ids, kicks, irqs, &solved, &error) != VQ_OK) {
        fprintf(stderr, "%s: solve: %s\n", directory, error.message);
        CHECK(false);
        return false;
    }
    cpus = vq_per_cpu_offsets(batch->constraints, batch->constraint_count, offsets, VQ_GUEST_MAX_CPUS, &contradiction,
                              &worst);
    CHECK(solved.bounds == batch->constraint_count);
    CHECK(same_alignment(&solved.all, &batch->session->alignment));
    CHECK(solved.cpu_offsets == cpus && solved.cpu_contradiction == contradiction && solved.worst_cpu == worst);
    for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
        same += same_offset(&solved.cpu_offset[cpu], &offsets[cpu]);
    }
    CHECK(same == VQ_GUEST_MAX_CPUS);
    printf("  solve streamed: %" PRIu64 " bounds (batch %zu), %s; offset %" PRId64 " ns, drift %s%s; %zu CPUs with "
           "their own offset (batch %zu), %zu of %d the same\n", solved.bounds, batch->constraint_count,
           solved.all.usable ? "usable" : "not usable", solved.all.offset,
           solved.all.drift_detected ? "detected" : "not detected", solved.all.line.usable ? ", a line" : "",
           solved.cpu_offsets, cpus, same, VQ_GUEST_MAX_CPUS);
    *out = solved;
    return true;
}

static bool same_margin(const vq_bound_margin *a, const vq_bound_margin *b)
{
    return a->has == b->has && (!a->has || (a->margin == b->margin && a->guest_ns == b->guest_ns &&
                                            a->source == b->source && a->violations == b->violations));
}

/*
 * The offset chosen and checked after A-D (offset_stream.c) against BATCH's vq_choose_offset (run here:
 * it frees the batch's bounds): the offset, its check, the per-CPU offsets, the TSC's figures and the
 * warnings the choice adds.
 */
static void test_offset(const char *directory, vq_loader *batch, vq_id_bounds *ids, vq_kick_pairs *kicks,
                        vq_irq_pairs *irqs, const vq_solved *solved)
{
    vq_session *session = must(calloc(1, sizeof(*session))), *whole = batch->session;
    size_t before = whole->warning_count, warnings = 0, i, same = 0;
    const vq_tsc_check *x = &whole->tsc, *y = &session->tsc;
    unsigned replays = 0;
    vq_error error;
    vq_status status;

    vq_error_clear(&error);
    CHECK(vq_choose_offset(batch, &error) == VQ_OK);
    vq_session_read_meta(session, directory, &error);
    warnings = session->warning_count;
    vq_error_clear(&error);
    status = vq_offset_stream(directory, ids, kicks, irqs, solved, session, &replays, &error);
    CHECK(status == VQ_OK);
    if (status != VQ_OK) {
        fprintf(stderr, "%s: offset: %s\n", directory, error.message);
    }
    CHECK(same_offset(&session->offset, &whole->offset));
    CHECK(same_margin(&session->offset_check.lower, &whole->offset_check.lower) &&
          same_margin(&session->offset_check.upper, &whole->offset_check.upper));
    CHECK(session->per_cpu_offsets == whole->per_cpu_offsets &&
          session->all_cpu_contradiction_ns == whole->all_cpu_contradiction_ns);
    for (i = 0; i < VQ_GUEST_MAX_CPUS; i++) {
        same += same_offset(&session->cpu_offset[i], &whole->cpu_offset[i]);
    }
    CHECK(same == VQ_GUEST_MAX_CPUS);
    CHECK(x->present == y->present && x->predictions == y->predictions && x->error_ns == y->error_ns &&
          x->distance_ns == y->distance_ns && strcmp(x->why, y->why) == 0);
    CHECK(session->warning_count - warnings == whole->warning_count - before);
    for (i = 0; i < session->warning_count - warnings && i < whole->warning_count - before; i++) {
        CHECK(strcmp(session->warnings[warnings + i], whole->warnings[before + i]) == 0);
    }
    printf("  offset streamed: %s, %" PRId64 " -> %" PRId64 " ns (+- %" PRId64 " ns)%s, margins %" PRId64 " / %"
           PRId64 " ns, %zu warning%s; %u read%s of A-C for its checks\n",
           session->offset.method == VQ_OFFSET_TSC ? "TSC" : "causal", session->offset.from_offset,
           session->offset.to_offset, session->offset.error_ns, session->per_cpu_offsets ? ", per CPU" : "",
           session->offset_check.lower.margin, session->offset_check.upper.margin, session->warning_count - warnings,
           session->warning_count - warnings == 1 ? "" : "s", replays, replays == 1 ? "" : "s");
    vq_session_free(session);
}

/* The batch load's steps up to the alignment, as vq_session_load runs them (its bounds kept). */
static bool batch_alignment(vq_loader *load, const char *directory)
{
    vq_error error;

    vq_error_clear(&error);
    if (vq_collect_guest(load, &error) != VQ_OK || vq_collect_qemu(load, &error) != VQ_OK ||
        vq_collect_probe(load, &error) != VQ_OK || vq_keep_device_events(load, &error) != VQ_OK) {
        printf("  refused: %s\n", error.message);
        return false;
    }
    vq_keep_doorbell(load);
    vq_loader_fit(load);
    if (vq_align_clocks(load, &error) != VQ_OK) {
        fprintf(stderr, "%s: alignment: %s\n", directory, error.message);
        CHECK(false);
        return false;
    }
    return true;
}

/* SET_ASIDE: the host events the batch must have set aside (-1: any number). */
static void test_session(const char *directory, int set_aside)
{
    vq_loader *batch = must(vq_stream_loader_new(directory, NULL)), *load;
    vq_constraint *upper;
    vq_id_bounds ids;
    vq_kick_pairs pairs;
    vq_irq_pairs irqs;
    vq_error error;
    vq_status status;
    size_t n = 0, i, cpus = 0, same_lines = 0;
    uint64_t pair_sum = 0;
    int64_t smallest = 0;
    bool tcg;

    printf("%s\n", directory);
    batch->e2e = must(vq_e2e_new(batch->stock_device));
    if (!batch_alignment(batch, directory) || batch->stock) {
        printf("  %s\n", batch->stock ? "stock virtio-blk: no ids, no streaming pass" : "");
        vq_stream_loader_delete(batch);
        return;
    }
    tcg = batch->notify_count == 0;
    upper = must(malloc((batch->constraint_count + 1) * sizeof(*upper)));
    for (i = 0; i < batch->constraint_count; i++) {
        if (batch->constraints[i].upper) {
            smallest = !n || batch->constraints[i].value < smallest ? batch->constraints[i].value : smallest;
            upper[n++] = batch->constraints[i];
        }
    }
    for (i = 0; i < batch->kick_count; i++) {
        size_t notify = batch->kicks[i].notify;

        if (notify != VQ_NO_INDEX) {
            uint64_t host = tcg ? batch->handlers[notify].ts : vq_notify_time(&batch->notifies[notify]);

            pair_sum += (uint64_t)(i + 1) * host;
        }
    }

    vq_error_clear(&error);
    load = must(vq_stream_loader_new(directory, NULL));
    status = vq_id_bounds_stream(load, &ids, NULL, &error);
    vq_stream_loader_delete(load);
    CHECK(status == VQ_OK);
    if (status == VQ_OK) {
        status = vq_kick_pairs_stream(directory, &ids, &pairs, &error);
        CHECK(status == VQ_OK);
    }
    if (status != VQ_OK) {
        fprintf(stderr, "%s: %s\n", directory, error.message);
        vq_id_bounds_free(&ids);
        free(upper);
        vq_stream_loader_delete(batch);
        return;
    }
    CHECK(pairs.tcg == tcg);
    CHECK(pairs.host_events == batch->session->kick.host_notifies);
    CHECK(pairs.bounds == n && n == batch->session->upper_from_kicks && n == batch->session->kick.kicks_paired);
    CHECK(!n || pairs.smallest == smallest);
    CHECK(pairs.set_aside == batch->session->upper_runs_skipped);
    CHECK(set_aside < 0 || batch->session->upper_runs_skipped == (uint64_t)set_aside);
    CHECK(pairs.pair_sum == pair_sum);
    CHECK(pairs.disordered == 0 && pairs.released_late == 0);
    CHECK(lines_match(upper, n, false, &pairs.all, pairs.cpu, &same_lines, &cpus));
    printf("  kick pairing streamed (%s): %" PRIu64 " pairs (batch %zu) of %" PRIu64 " host events, %s, %u round%s, "
           "%" PRIu64 " set aside; %zu CPUs' upper lines the same of %zu; at most %zu kicks waiting and %zu host "
           "events held\n", tcg ? "handler runs" : "doorbell writes", pairs.bounds, n, pairs.host_events,
           pairs.per_queue ? "queue by queue" : "one sequence", pairs.rounds, pairs.rounds == 1 ? "" : "s",
           pairs.set_aside, same_lines, cpus, pairs.most_kicks, pairs.most_host);
    if (test_irq_pairs(directory, batch, &ids, &pairs, &irqs)) {
        vq_solved solved;

        if (test_solve(directory, batch, &ids, &pairs, &irqs, &solved)) {
            test_offset(directory, batch, &ids, &pairs, &irqs, &solved);   /* last: it frees the batch's bounds */
        }
        vq_irq_pairs_free(&irqs);
    }
    vq_kick_pairs_free(&pairs);
    vq_id_bounds_free(&ids);
    free(upper);
    vq_stream_loader_delete(batch);
}

/* ---- a set-aside round: the lab fixture under TCG with a stray handler run ---- */

static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long length;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "analysis_stream: cannot read %s\n", path);
        exit(1);
    }
    data = must(malloc((size_t)length + 1));
    if (fread(data, 1, (size_t)length, f) != (size_t)length) {
        fprintf(stderr, "analysis_stream: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *size = (size_t)length;
    return data;
}

static void write_all(const char *directory, const char *name, const char *data, size_t size)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", directory, name);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "analysis_stream: cannot write %s\n", path);
        exit(1);
    }
}

static void copy_file(const char *from, const char *directory, const char *name)
{
    char path[512];
    size_t size;
    char *data;

    snprintf(path, sizeof(path), "%s/%s", from, name);
    data = read_all(path, &size);
    write_all(directory, name, data, size);
    free(data);
}

/*
 * QEMU's simpletrace DATA with one record more: a copy of the NAME event stamped FROM_TS, stamped TO_TS,
 * before the first event after it. Records: a u64 kind (0: an event's name), then a name's id, length
 * and name, or an event's id, time, length (from the id on), pid and arguments.
 */
static char *with_copy(const char *data, size_t size, const char *name, uint64_t from_ts, uint64_t to_ts,
                       size_t *out_size)
{
    char *out = must(malloc(size * 2 + 64)), *copy = NULL;
    uint64_t name_id = UINT64_MAX;
    size_t pos = 24, n = 24, copy_size = 0;
    bool placed = false;

    memcpy(out, data, 24);
    while (pos + 20 <= size) {
        uint64_t kind, id, ts = 0;
        uint32_t length;
        size_t end;

        memcpy(&kind, data + pos, 8);
        memcpy(&id, data + pos + 8, 8);
        if (kind == 0) {
            memcpy(&length, data + pos + 16, 4);
            end = pos + 20 + length;
            if (length == strlen(name) && memcmp(data + pos + 20, name, length) == 0) {
                name_id = id;
            }
        } else {
            memcpy(&ts, data + pos + 16, 8);
            memcpy(&length, data + pos + 24, 4);
            end = pos + 8 + length;
            if (id == name_id && ts == from_ts && end <= size && !copy) {
                copy_size = end - pos;
                copy = must(malloc(copy_size));
                memcpy(copy, data + pos, copy_size);
                memcpy(copy + 16, &to_ts, 8);
            }
        }
        if (end > size || end <= pos) {
            break;
        }
        if (!placed && copy && kind != 0 && ts > to_ts) {
            memcpy(out + n, copy, copy_size);
            n += copy_size;
            placed = true;
        }
        memcpy(out + n, data + pos, end - pos);
        n += end - pos;
        pos = end;
    }
    CHECK(placed);
    free(copy);
    *out_size = n;
    return out;
}

/*
 * The lab fixture without its probe stream (the kicks then pair with QEMU's handler runs, as under TCG),
 * and with a handler run no kick caused, just under the pairing estimate of a kick that follows a quiet
 * millisecond: the kick pairs with it below the id bound, the batch sets it aside and pairs again
 * (pair_kicks's rounds), and so must the streaming pass. And a device notify twice at the same time: the
 * first takes no injection (its own, QEMU's, is not before the next notify), as in the batch.
 */
static void test_set_aside_round(void)
{
    const char *fixture = "tests/fixtures/analysis/session-lab";
    char directory[] = "/tmp/vqscope-stream-XXXXXX", path[512];
    const char *names[] = { "guest.trace", "meta.json", "qemu-trace-events", "qemu.simpletrace" };
    vq_loader *batch, *load;
    vq_id_bounds ids;
    vq_error error;
    size_t i, k, size, stray_size;
    char *data, *stray;
    uint64_t run_ts = 0, stray_ts = 0, notify_ts = 0;

    must(mkdtemp(directory));
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        copy_file(fixture, directory, names[i]);
    }
    batch = must(vq_stream_loader_new(directory, NULL));
    batch->e2e = must(vq_e2e_new(false));
    CHECK(batch_alignment(batch, directory) && batch->notify_count == 0 && batch->session->upper_runs_skipped == 0);
    load = must(vq_stream_loader_new(directory, NULL));
    vq_error_clear(&error);
    CHECK(vq_id_bounds_stream(load, &ids, NULL, &error) == VQ_OK);
    vq_stream_loader_delete(load);
    for (k = 1; k < batch->kick_count; k++) {
        if (batch->kicks[k].notify != VQ_NO_INDEX && batch->kicks[k].ts > batch->kicks[k - 1].ts + 1000000) {
            vq_bound_line line = vq_bound_line_from_hull(&ids.cpu[batch->kicks[k].cpu]);

            run_ts = batch->handlers[batch->kicks[k].notify].ts;
            stray_ts = batch->kicks[k].ts + (uint64_t)vq_bound_line_at(&line, batch->kicks[k].ts) - 10000;
            break;
        }
    }
    CHECK(run_ts && stray_ts < run_ts);
    for (i = 0; i < batch->device_notify_count && !notify_ts; i++) {
        notify_ts = batch->device_notifies[i].ts > run_ts ? batch->device_notifies[i].ts : 0;
    }
    CHECK(notify_ts != 0);
    vq_id_bounds_free(&ids);
    vq_stream_loader_delete(batch);
    snprintf(path, sizeof(path), "%s/qemu.simpletrace", directory);
    data = read_all(path, &size);
    stray = with_copy(data, size, "virtio_queue_notify", run_ts, stray_ts, &stray_size);
    free(data);
    data = with_copy(stray, stray_size, "virtio_notify", notify_ts, notify_ts, &size);
    write_all(directory, "qemu.simpletrace", data, size);
    free(data);
    free(stray);
    test_session(directory, 1);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", directory, names[i]);
        unlink(path);
    }
    rmdir(directory);
}

int main(int argc, char **argv)
{
    int i;

    test_pair_stream(false);
    test_pair_stream(true);
    test_interval_ties();
    test_set_aside_round();
    if (argc < 2) {
        test_session("tests/fixtures/analysis/session-lab", 0);
    }
    for (i = 1; i < argc; i++) {
        test_session(argv[i], -1);
    }
    return check_summary("analysis_stream");
}
