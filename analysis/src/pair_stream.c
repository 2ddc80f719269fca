// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vq_pair_forward_selected's and vq_pair_backward_selected's merges as the events come (align.h): the
 * host events not yet passed, in their order, and each guest event paired against them as the merge
 * would.
 */
#include "align.h"

#include <stdlib.h>
#include <string.h>

bool vq_pair_stream_add(vq_pair_stream *stream, const vq_pair_host *host)
{
    if (stream->count == stream->capacity) {
        size_t held = stream->count - stream->head;

        if (stream->head >= held) {   /* at least half of the array is passed: slide instead of growing */
            memmove(stream->items, stream->items + stream->head, held * sizeof(*stream->items));
            stream->count = held;
            stream->head = 0;
        }
        if (stream->count == stream->capacity) {
            size_t capacity = stream->capacity ? 2 * stream->capacity : 256;
            vq_pair_host *bigger = realloc(stream->items, capacity * sizeof(*bigger));

            if (!bigger) {
                return false;
            }
            stream->items = bigger;
            stream->capacity = capacity;
        }
    }
    stream->items[stream->count++] = *host;
    return true;
}

bool vq_pair_stream_forward(vq_pair_stream *stream, uint64_t guest, int64_t estimate, int64_t slack, int64_t window,
                            vq_pair_host *pair)
{
    int64_t earliest = (int64_t)guest + estimate - slack;
    int64_t latest = (int64_t)guest + estimate + window;

    /* as the merge: the first host event not yet passed at or after EARLIEST, if at most LATEST */
    vq_pair_stream_drop_before(stream, earliest);
    if (stream->head < stream->count && (int64_t)stream->items[stream->head].ts <= latest) {
        *pair = stream->items[stream->head++];
        return true;
    }
    return false;
}

bool vq_pair_stream_backward(vq_pair_stream *stream, uint64_t guest, int64_t estimate, int64_t slack, int64_t window,
                             vq_pair_host *pair)
{
    int64_t latest = (int64_t)guest + estimate + slack;
    int64_t earliest = (int64_t)guest + estimate - window;
    size_t at, last = SIZE_MAX;

    /* as the merge: the last host event at most LATEST in the run from the first not yet passed, if at
     * least EARLIEST; the ones before it are passed with it */
    for (at = stream->head; at < stream->count && (int64_t)stream->items[at].ts <= latest; at++) {
        last = at;
    }
    if (last != SIZE_MAX && (int64_t)stream->items[last].ts >= earliest) {
        *pair = stream->items[last];
        stream->head = last + 1;
        return true;
    }
    return false;
}

void vq_pair_stream_drop_behind(vq_pair_stream *stream, int64_t floor)
{
    while (stream->head + 1 < stream->count && (int64_t)stream->items[stream->head].ts <= floor &&
           (int64_t)stream->items[stream->head + 1].ts <= floor) {
        stream->head++;
    }
}

void vq_pair_stream_drop_before(vq_pair_stream *stream, int64_t floor)
{
    while (stream->head < stream->count && (int64_t)stream->items[stream->head].ts < floor) {
        stream->head++;
    }
}

size_t vq_pair_stream_held(const vq_pair_stream *stream)
{
    return stream->count - stream->head;
}

void vq_pair_stream_free(vq_pair_stream *stream)
{
    free(stream->items);
    *stream = (vq_pair_stream){ 0 };
}
