// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stock virtio-blk has no request ids: a request is named by (sector, sectors, write) on both sides.
 * The guest requests of one key form a list in issue order (linked by vq_guest_request.next_same; its
 * tail in stock_tail). The guest's block_rq_complete and QEMU's virtio_blk_handle_read/write each keep
 * their own head in it and take the oldest request they have not taken yet: with one request queue in
 * the guest, equal keys are served in issue order. Keys are hashes; a collision is caught by comparing
 * the request's own sector, sectors and direction.
 */
#include "loader.h"

static uint64_t stock_key(uint64_t sector, uint32_t sectors, bool write)
{
    uint64_t key = sector * 0x9e3779b97f4a7c15ULL ^ (((uint64_t)sectors << 1) | write) * 0xc2b2ae3d27d4eb4fULL;

    key ^= key >> 29;
    return key == UINT64_MAX ? key - 1 : key;
}

static bool stock_same(const vq_guest_request *request, uint64_t sector, uint32_t sectors, bool write)
{
    return request->sector == sector && request->sectors == sectors && request->write == write;
}

/* QEMU's req pointer as an vq_id_map key (UINT64_MAX is the map's empty slot). */
uint64_t vq_stock_req_key(uint64_t req)
{
    return req == UINT64_MAX ? req - 1 : req;
}

/* Appends request INDEX (next_same already VQ_NO_INDEX) to the queues of its key. */
bool vq_stock_append(vq_loader *load, size_t index)
{
    const vq_guest_request *request = vq_request_at(load, index);
    uint64_t key = stock_key(request->sector, request->sectors, request->write);
    vq_guest_request *tail = vq_request_at(load, vq_id_map_get(&load->stock_tail, key));
    size_t head = vq_id_map_get(&load->stock_complete_head, key);

    if (tail) {
        tail->next_same = index;
    }
    if (vq_id_map_get(&load->stock_qemu_head, key) == VQ_NO_INDEX &&
        !vq_id_map_put(&load->stock_qemu_head, key, index)) {
        return false;
    }
    return vq_id_map_put(&load->stock_tail, key, index) &&
           (head != VQ_NO_INDEX || vq_id_map_put(&load->stock_complete_head, key, index));
}

/* Takes the oldest request of HEADS' queue for the key; VQ_NO_INDEX if none (or a key collision). */
size_t vq_stock_take(vq_loader *load, vq_id_map *heads, uint64_t sector, uint32_t sectors, bool write)
{
    uint64_t key = stock_key(sector, sectors, write);
    size_t index = vq_id_map_get(heads, key);
    const vq_guest_request *request = vq_request_at(load, index);

    if (!request || !stock_same(request, sector, sectors, write)) {
        return VQ_NO_INDEX;
    }
    if (!vq_id_map_put(heads, key, request->next_same)) {
        return VQ_NO_INDEX;
    }
    return index;
}
