/*
 * virtio-xblk PCI binding (modern only: virtio 1.x, no legacy I/O BAR)
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-xblk.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qom/object.h"

typedef struct VirtIOXBlkPCI VirtIOXBlkPCI;

#define TYPE_VIRTIO_XBLK_PCI "virtio-xblk-pci-base"
DECLARE_INSTANCE_CHECKER(VirtIOXBlkPCI, VIRTIO_XBLK_PCI, TYPE_VIRTIO_XBLK_PCI)

struct VirtIOXBlkPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOXBlk vdev;
};

static const Property virtio_xblk_pci_properties[] = {
    DEFINE_PROP_BIT("ioeventfd", VirtIOPCIProxy, flags,
                    VIRTIO_PCI_FLAG_USE_IOEVENTFD_BIT, true),
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors,
                       DEV_NVECTORS_UNSPECIFIED),
};

static void virtio_xblk_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VirtIOXBlkPCI *dev = VIRTIO_XBLK_PCI(vpci_dev);
    DeviceState *vdev = DEVICE(&dev->vdev);

    /* One vector per request queue plus one for configuration changes, like virtio-blk. */
    if (vpci_dev->nvectors == DEV_NVECTORS_UNSPECIFIED) {
        vpci_dev->nvectors = dev->vdev.num_queues + 1;
    }

    virtio_pci_force_virtio_1(vpci_dev);
    qdev_realize(vdev, BUS(&vpci_dev->bus), errp);
}

static void virtio_xblk_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = virtio_xblk_pci_realize;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    pcidev_k->vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    pcidev_k->revision = VIRTIO_PCI_ABI_VERSION;
    pcidev_k->class_id = PCI_CLASS_STORAGE_OTHER;
    device_class_set_props(dc, virtio_xblk_pci_properties);
}

static void virtio_xblk_pci_instance_init(Object *obj)
{
    VirtIOXBlkPCI *dev = VIRTIO_XBLK_PCI(obj);

    /* Also aliases the backend's properties (file, iothread, ...) onto the PCI device. */
    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev), TYPE_VIRTIO_XBLK);
}

static const VirtioPCIDeviceTypeInfo virtio_xblk_pci_info = {
    .base_name = TYPE_VIRTIO_XBLK_PCI,
    .generic_name = "virtio-xblk-pci",
    .instance_size = sizeof(VirtIOXBlkPCI),
    .instance_init = virtio_xblk_pci_instance_init,
    .class_init = virtio_xblk_pci_class_init,
};

static void virtio_xblk_pci_register(void)
{
    virtio_pci_types_register(&virtio_xblk_pci_info);
}

type_init(virtio_xblk_pci_register)
