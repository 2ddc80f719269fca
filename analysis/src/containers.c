// SPDX-License-Identifier: GPL-2.0-or-later
/* The analyzer's containers (containers.h). */
#include "containers.h"

#include <stdlib.h>
#include <string.h>

void vq_drop_front(void *array, size_t *count, size_t size, size_t gone)
{
    if (gone) {
        memmove(array, (char *)array + gone * size, (*count - gone) * size);
        *count -= gone;
    }
}

bool vq_append(void **array, size_t size, size_t *count, size_t *capacity, const void *items, size_t n)
{
    while (*count + n > *capacity) {   /* vq_grow's doubling, as many times as N needs */
        if (!vq_grow(array, size, *capacity, capacity)) {
            return false;
        }
    }
    if (n) {
        memcpy((char *)*array + *count * size, items, n * size);
        *count += n;
    }
    return true;
}

bool vq_grow(void **array, size_t element, size_t count, size_t *capacity)
{
    void *bigger;
    size_t wanted;

    if (count < *capacity) {
        return true;
    }
    wanted = *capacity ? *capacity * 2 : 64;
    bigger = realloc(*array, wanted * element);
    if (!bigger) {
        return false;
    }
    *array = bigger;
    *capacity = wanted;
    return true;
}

void vq_fit(void **array, size_t element, size_t count, size_t *capacity)
{
    void *smaller;

    if (!*array || count >= *capacity || !count) {
        return;
    }
    smaller = realloc(*array, count * element);
    if (smaller) {
        *array = smaller;
        *capacity = count;
    }
}

static size_t hash_id(uint64_t id, size_t capacity)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 17) & (capacity - 1);
}

/* MAP's hash part becomes OTHER's (its array part stays). */
static void replace_hash(vq_id_map *map, const vq_id_map *other)
{
    free(map->keys);
    free(map->values);
    map->keys = other->keys;
    map->values = other->values;
    map->capacity = other->capacity;
    map->count = other->count;
}

/* The hash part: ID -> VALUE, doubling at a load of 1/2. */
static bool hash_put(vq_id_map *map, uint64_t id, size_t value)
{
    size_t slot;

    if ((map->count + 1) * 2 > map->capacity) {
        vq_id_map bigger = { .capacity = map->capacity ? map->capacity * 2 : 1024 };
        size_t i;

        bigger.keys = malloc(bigger.capacity * sizeof(*bigger.keys));
        bigger.values = malloc(bigger.capacity * sizeof(*bigger.values));
        if (!bigger.keys || !bigger.values) {
            free(bigger.keys);
            free(bigger.values);
            return false;
        }
        memset(bigger.keys, 0xff, bigger.capacity * sizeof(*bigger.keys));
        for (i = 0; i < map->capacity; i++) {
            if (map->keys[i] != UINT64_MAX) {
                hash_put(&bigger, map->keys[i], map->values[i]);
            }
        }
        replace_hash(map, &bigger);
    }
    for (slot = hash_id(id, map->capacity); map->keys[slot] != UINT64_MAX && map->keys[slot] != id;
         slot = (slot + 1) & (map->capacity - 1)) {
    }
    if (map->keys[slot] == UINT64_MAX) {
        map->count++;
    }
    map->keys[slot] = id;
    map->values[slot] = value;
    return true;
}

static bool in_dense(const vq_id_map *map, uint64_t id)
{
    return map->dense && id >= map->base && id - map->base < map->dense_capacity;
}

/* Slots the array part may span for the ENTRIES the map holds: at most 4 in 5 empty, plus a slack. */
#define DENSE_SLACK 4096
#define DENSE_LIMIT (UINT64_MAX / 4)   /* ids above stay in the hash: base + capacity never wraps */

/*
 * Makes the array part cover ID when the run it then spans stays dense enough (else false: ID goes to
 * the hash), moving the hash's ids that fall in the new run into it. *FAILED: out of memory.
 */
static bool cover(vq_id_map *map, uint64_t id, bool *failed)
{
    uint64_t low = map->dense && map->base < id ? map->base : id;
    uint64_t high = map->dense && map->base + map->dense_capacity > id + 1 ? map->base + map->dense_capacity : id + 1;
    size_t entries = map->dense_count + map->count + 1, capacity, i;
    size_t *array;

    *failed = false;
    if (id >= DENSE_LIMIT || high - low > (uint64_t)entries * 5 + DENSE_SLACK) {
        return false;
    }
    if (map->dense && id < map->base) {   /* downwards: as much room again below, for the ids before it */
        low = id > high - id ? id - (high - id) : 0;
    }
    capacity = (size_t)(high - low);
    if (map->dense && low == map->base && capacity < 2 * map->dense_capacity) {
        capacity = 2 * map->dense_capacity;   /* upwards, as ids are handed out: doubling */
    }
    if (capacity < 1024) {
        capacity = 1024;
    }
    if (low == map->base && map->dense) {
        array = realloc(map->dense, capacity * sizeof(*array));
        if (!array) {
            *failed = true;
            return false;
        }
        memset(array + map->dense_capacity, 0xff, (capacity - map->dense_capacity) * sizeof(*array));
    } else {
        array = malloc(capacity * sizeof(*array));
        if (!array) {
            *failed = true;
            return false;
        }
        memset(array, 0xff, capacity * sizeof(*array));
        if (map->dense) {
            memcpy(array + (map->base - low), map->dense, map->dense_capacity * sizeof(*array));
            free(map->dense);
        }
    }
    map->dense = array;
    map->base = low;
    map->dense_capacity = capacity;
    if (map->count) {   /* the hash's ids now in the run move over */
        vq_id_map rest = { 0 };

        for (i = 0; i < map->capacity; i++) {
            uint64_t key = map->keys[i];

            if (key == UINT64_MAX) {
                continue;
            }
            if (in_dense(map, key)) {   /* a slot the run did not cover before: empty */
                map->dense_count += map->values[i] != VQ_NO_INDEX;
                map->dense[key - map->base] = map->values[i];
            } else if (!hash_put(&rest, key, map->values[i])) {
                free(rest.keys);
                free(rest.values);
                *failed = true;
                return false;
            }
        }
        replace_hash(map, &rest);
    }
    return true;
}

bool vq_id_map_put(vq_id_map *map, uint64_t id, size_t value)
{
    bool failed;

    if (in_dense(map, id) || cover(map, id, &failed)) {
        size_t *slot = &map->dense[id - map->base];

        map->dense_count = map->dense_count + (value != VQ_NO_INDEX) - (*slot != VQ_NO_INDEX);
        *slot = value;
        return true;
    }
    return !failed && hash_put(map, id, value);
}

size_t vq_id_map_get(const vq_id_map *map, uint64_t id)
{
    size_t slot;

    if (in_dense(map, id)) {
        return map->dense[id - map->base];
    }
    if (!map->capacity) {
        return VQ_NO_INDEX;
    }
    for (slot = hash_id(id, map->capacity); map->keys[slot] != UINT64_MAX;
         slot = (slot + 1) & (map->capacity - 1)) {
        if (map->keys[slot] == id) {
            return map->values[slot];
        }
    }
    return VQ_NO_INDEX;
}

void vq_id_map_fit(vq_id_map *map)
{
    size_t used = map->dense_capacity, *smaller;

    while (used > 0 && map->dense[used - 1] == VQ_NO_INDEX) {
        used--;
    }
    if (used == 0 || used == map->dense_capacity) {
        return;
    }
    smaller = realloc(map->dense, used * sizeof(*smaller));
    if (smaller) {
        map->dense = smaller;
        map->dense_capacity = used;
    }
}

bool vq_id_map_drop_below(vq_id_map *map, uint64_t floor)
{
    uint64_t dense_floor = floor > DENSE_LIMIT ? DENSE_LIMIT : floor;   /* the array part stays below its limit */
    uint64_t base = map->dense && dense_floor > map->base ? dense_floor : map->base;   /* the run's new start */
    vq_id_map rest = { 0 };
    size_t i;

    /* An id is in exactly one part: the hashed ids the slid run covers move into it, the others above
     * the floor stay hashed (built first: out of memory leaves the map as it was). */
#define IN_NEW_RUN(key) (map->dense && (key) >= base && (key) - base < map->dense_capacity)
    for (i = 0; i < map->capacity; i++) {
        uint64_t key = map->keys[i];

        if (key != UINT64_MAX && key >= floor && !IN_NEW_RUN(key) && !hash_put(&rest, key, map->values[i])) {
            free(rest.keys);
            free(rest.values);
            return false;
        }
    }
    if (map->dense && base > map->base) {   /* the array part slides up, keeping its size */
        uint64_t gone = base - map->base;
        size_t kept = gone < map->dense_capacity ? map->dense_capacity - (size_t)gone : 0;

        for (i = 0; i < map->dense_capacity - kept; i++) {
            map->dense_count -= map->dense[i] != VQ_NO_INDEX;
        }
        memmove(map->dense, map->dense + (map->dense_capacity - kept), kept * sizeof(*map->dense));
        memset(map->dense + kept, 0xff, (map->dense_capacity - kept) * sizeof(*map->dense));
        map->base = base;
    }
    for (i = 0; i < map->capacity; i++) {
        uint64_t key = map->keys[i];

        if (key != UINT64_MAX && key >= floor && IN_NEW_RUN(key)) {
            map->dense_count += map->values[i] != VQ_NO_INDEX;
            map->dense[key - base] = map->values[i];
        }
    }
#undef IN_NEW_RUN
    replace_hash(map, &rest);
    return true;
}

void vq_id_map_free(vq_id_map *map)
{
    free(map->keys);
    free(map->values);
    free(map->dense);
    *map = (vq_id_map){ 0 };
}
