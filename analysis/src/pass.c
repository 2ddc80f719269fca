// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The collectors as passes read in steps (loader.h): the state a pass keeps between steps, whether its
 * source has ended, and the batch load's way of running one, open to the end in one step.
 */
#include "loader.h"

#include <stdlib.h>

struct vq_pass {
    vq_loader *load;
    const vq_pass_ops *ops;
    bool ended;                 /* until returned VQ_END */
    bool failed;                /* until returned an error: no more steps */
    uint64_t next;              /* after a VQ_OK step: the time of the event waiting */
    unsigned char state[];      /* ops->state_size bytes, the pass's own */
};

vq_status vq_pass_open(vq_loader *load, const vq_pass_ops *ops, vq_pass **out, vq_error *error)
{
    vq_pass *pass = calloc(1, sizeof(*pass) + ops->state_size);
    vq_status status;

    *out = NULL;
    if (!pass) {
        vq_error_set(error, "%s: out of memory", load->directory);
        return VQ_ERR_NOMEM;
    }
    pass->load = load;
    pass->ops = ops;
    status = ops->open(load, pass->state, error);
    if (status != VQ_OK) {   /* a failed open may hold part of its state: close frees what is there */
        vq_pass_close(pass);
        return status;
    }
    *out = pass;
    return VQ_OK;
}

vq_status vq_pass_until(vq_pass *pass, uint64_t limit, vq_error *error)
{
    vq_status status;

    if (pass->ended) {
        return VQ_END;
    }
    if (pass->failed) {
        vq_error_set(error, "the %s pass failed before: no more steps", pass->ops->name);
        return VQ_ERR_USAGE;
    }
    status = pass->ops->until(pass->load, pass->state, limit, &pass->next, error);
    pass->ended = status == VQ_END;
    pass->failed = status != VQ_OK && status != VQ_END;
    return status;
}

uint64_t vq_pass_next(const vq_pass *pass)
{
    return pass->next;
}

vq_status vq_pass_step(vq_pass *pass, uint64_t limit, bool *ended, vq_error *error)
{
    vq_status status;

    if (*ended) {
        return VQ_OK;
    }
    status = vq_pass_until(pass, limit, error);
    if (status == VQ_END) {
        *ended = true;
        return vq_pass_finish(pass, error);
    }
    return status;
}

vq_status vq_pass_finish(vq_pass *pass, vq_error *error)
{
    if (!pass->ended) {
        vq_error_set(error, "the %s pass is finished before its source's end", pass->ops->name);
        return VQ_ERR_USAGE;
    }
    return pass->ops->finish(pass->load, pass->state, error);
}

void vq_pass_close(vq_pass *pass)
{
    if (!pass) {
        return;
    }
    pass->ops->close(pass->state);
    free(pass);
}

/* Open, until the end, finish: the batch load's way. */
static vq_status run_pass(vq_loader *load, const vq_pass_ops *ops, vq_error *error)
{
    vq_pass *pass;
    vq_status status = vq_pass_open(load, ops, &pass, error);

    if (status != VQ_OK) {
        return status;
    }
    status = vq_pass_until(pass, UINT64_MAX, error);
    if (status == VQ_END) {
        status = vq_pass_finish(pass, error);
    } else if (status == VQ_OK) {   /* nothing is stamped after UINT64_MAX */
        vq_error_set(error, "%s: the %s pass stopped before its end", load->directory, ops->name);
        status = VQ_ERR_USAGE;
    }
    vq_pass_close(pass);
    return status;
}

vq_status vq_collect_guest(vq_loader *load, vq_error *error)
{
    return run_pass(load, &vq_guest_pass, error);
}

vq_status vq_collect_qemu(vq_loader *load, vq_error *error)
{
    return run_pass(load, &vq_qemu_pass, error);
}

vq_status vq_collect_probe(vq_loader *load, vq_error *error)
{
    return run_pass(load, &vq_probe_pass, error);
}
