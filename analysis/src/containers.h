/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The analyzer's two containers: a growable array (VQ_PUSH appends one element, doubling the storage)
 * and an id -> index map (open addressing; keys are request ids, any u64 but UINT64_MAX).
 */
#ifndef VQSCOPE_ANALYSIS_CONTAINERS_H
#define VQSCOPE_ANALYSIS_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_NO_INDEX SIZE_MAX

/* Makes room for element COUNT of *ARRAY (ELEMENT bytes each); false when out of memory. */
bool vq_grow(void **array, size_t element, size_t count, size_t *capacity);
void vq_fit(void **array, size_t element, size_t count, size_t *capacity);

/* A pointer to a new last element of ARRAY (COUNT incremented), or NULL when out of memory. */
#define VQ_PUSH(array, count, capacity) \
    (vq_grow((void **)&(array), sizeof(*(array)), (count), &(capacity)) ? &(array)[(count)++] : NULL)
/* Gives back what the doubling left unused once an array is complete (keeps it if realloc fails). */
#define VQ_FIT(array, count, capacity) vq_fit((void **)&(array), sizeof(*(array)), (count), &(capacity))

typedef struct {
    uint64_t *keys;
    size_t *values;
    size_t capacity, count;
} vq_id_map;

/* Sets ID -> VALUE (replacing any); false when out of memory. */
bool vq_id_map_put(vq_id_map *map, uint64_t id, size_t value);
/* The value of ID, or VQ_NO_INDEX. */
size_t vq_id_map_get(const vq_id_map *map, uint64_t id);
/* Frees the map and leaves it empty (usable again, freeable again). */
void vq_id_map_free(vq_id_map *map);

#endif
