#!/usr/bin/env python3
"""The features a virtio-xblk driver negotiated, from HMP's `info virtio-status` (test 43).

    check_xblk_negotiated_features.py STATUS_TXT

Passes if the device is virtio-xblk and its guest (negotiated) features hold VIRTIO_XBLK_F_FLUSH and
VIRTIO_F_VERSION_1 but not VIRTIO_XBLK_F_RO (the disk is read-write); fails with an AssertionError otherwise.
"""
import sys
text = open(sys.argv[1]).read()
assert 'device_name:             virtio-xblk' in text, 'no device_name virtio-xblk'
guest = text.split('Guest features:')[1].split('Host features:')[0]
for want in ('VIRTIO_XBLK_F_FLUSH', 'VIRTIO_F_VERSION_1'):
    assert want in guest, f'{want} not among the guest (negotiated) features: {guest!r}'
assert 'VIRTIO_XBLK_F_RO' not in guest, 'RO negotiated on a read-write disk'
print('negotiated features ok')
