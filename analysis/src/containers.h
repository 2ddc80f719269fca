/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The analyzer's two containers: a growable array (VQ_PUSH appends one element, doubling the storage)
 * and an id -> index map (an array over a dense run of ids, open addressing for the others; keys are
 * request ids, any u64 but UINT64_MAX).
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

/* Drops the first GONE of the *COUNT elements of SIZE bytes at ARRAY (a window moving on). */
void vq_drop_front(void *array, size_t *count, size_t size, size_t gone);
/* Appends N elements of SIZE bytes from ITEMS to *ARRAY (*COUNT, *CAPACITY, grown by doubling); false
 * when out of memory (the array unchanged). */
bool vq_append(void **array, size_t size, size_t *count, size_t *capacity, const void *items, size_t n);
#define VQ_APPEND(array, count, capacity, items, n) \
    vq_append((void **)&(array), sizeof(*(array)), &(count), &(capacity), (items), (n))

/* A pointer to a new last element of ARRAY (COUNT incremented), or NULL when out of memory. */
#define VQ_PUSH(array, count, capacity) \
    (vq_grow((void **)&(array), sizeof(*(array)), (count), &(capacity)) ? &(array)[(count)++] : NULL)
/* Gives back what the doubling left unused once an array is complete (keeps it if realloc fails). */
#define VQ_FIT(array, count, capacity) vq_fit((void **)&(array), sizeof(*(array)), (count), &(capacity))

/*
 * Ids are mostly dense (the driver numbers its requests 1, 2, 3...; QEMU's copy of them too): those in
 * one run [base, base + dense_capacity) are a plain array, 8 bytes an id, where open addressing at a
 * load of at most 1/2 took 32 (and twice that just after doubling). An id is in exactly one of the two
 * parts: the array covers a run of ids while at most 4 slots in 5 stay empty (plus 4096 slots of slack),
 * the hash takes the rest (stock virtio-blk's sector keys, thread ids, a stray id). A value of
 * VQ_NO_INDEX reads as absent in both.
 */
typedef struct {
    uint64_t *keys;             /* the hash part (UINT64_MAX: empty slot) */
    size_t *values;
    size_t capacity, count;
    size_t *dense;              /* the array part: dense[id - base], VQ_NO_INDEX empty */
    uint64_t base;
    size_t dense_capacity, dense_count;
} vq_id_map;

/* Sets ID -> VALUE (replacing any); false when out of memory. */
bool vq_id_map_put(vq_id_map *map, uint64_t id, size_t value);
/* The value of ID, or VQ_NO_INDEX. */
size_t vq_id_map_get(const vq_id_map *map, uint64_t id);
/* Gives back the array part's unused tail (it grows by doubling), once no id above those in it comes. */
void vq_id_map_fit(vq_id_map *map);
/* Forgets every id below FLOOR (a window of requests moving on: the array part slides up to it, keeping
 * its size, so that a map of the ids in flight stays the size of the flight); false when out of memory
 * (the map unchanged). */
bool vq_id_map_drop_below(vq_id_map *map, uint64_t floor);
/* Frees the map and leaves it empty (usable again, freeable again). */
void vq_id_map_free(vq_id_map *map);

#endif
