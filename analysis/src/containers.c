// SPDX-License-Identifier: GPL-2.0-or-later
/* The analyzer's containers (containers.h). */
#include "containers.h"

#include <stdlib.h>
#include <string.h>

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

bool vq_id_map_put(vq_id_map *map, uint64_t id, size_t value)
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
                vq_id_map_put(&bigger, map->keys[i], map->values[i]);
            }
        }
        free(map->keys);
        free(map->values);
        *map = bigger;
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

size_t vq_id_map_get(const vq_id_map *map, uint64_t id)
{
    size_t slot;

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

void vq_id_map_free(vq_id_map *map)
{
    free(map->keys);
    free(map->values);
    *map = (vq_id_map){ 0 };
}
