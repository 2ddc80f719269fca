/*
 * virtio-demo PCI binding (modern only: virtio 1.x, no legacy I/O BAR)
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-demo.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qom/object.h"

typedef struct VirtIODemoPCI VirtIODemoPCI;

#define TYPE_VIRTIO_DEMO_PCI "virtio-demo-pci-base"
DECLARE_INSTANCE_CHECKER(VirtIODemoPCI, VIRTIO_DEMO_PCI, TYPE_VIRTIO_DEMO_PCI)

struct VirtIODemoPCI {
    VirtIOPCIProxy parent_obj;
    VirtIODemo vdev;
};

static const Property virtio_demo_pci_properties[] = {
    DEFINE_PROP_BIT("ioeventfd", VirtIOPCIProxy, flags,
                    VIRTIO_PCI_FLAG_USE_IOEVENTFD_BIT, true),
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors,
                       DEV_NVECTORS_UNSPECIFIED),
};

static void virtio_demo_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VirtIODemoPCI *dev = VIRTIO_DEMO_PCI(vpci_dev);
    DeviceState *vdev = DEVICE(&dev->vdev);

    /* One vector for the config space, one for the queue; 0 means INTx. */
    if (vpci_dev->nvectors == DEV_NVECTORS_UNSPECIFIED) {
        vpci_dev->nvectors = 2;
    } else if (vpci_dev->nvectors > 2) {
        error_setg(errp, "vectors property must be at most 2 (config + 1 queue), got %u",
                   vpci_dev->nvectors);
        return;
    }

    virtio_pci_force_virtio_1(vpci_dev);
    qdev_realize(vdev, BUS(&vpci_dev->bus), errp);
}

static void virtio_demo_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = virtio_demo_pci_realize;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    pcidev_k->vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    /* Modern devices are identified as 0x1040 + virtio device id; virtio-pci sets it. */
    pcidev_k->revision = VIRTIO_PCI_ABI_VERSION;
    pcidev_k->class_id = PCI_CLASS_OTHERS;
    device_class_set_props(dc, virtio_demo_pci_properties);
}

static void virtio_demo_pci_instance_init(Object *obj)
{
    VirtIODemoPCI *dev = VIRTIO_DEMO_PCI(obj);

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev), TYPE_VIRTIO_DEMO);
}

static const VirtioPCIDeviceTypeInfo virtio_demo_pci_info = {
    .base_name = TYPE_VIRTIO_DEMO_PCI,
    .generic_name = "virtio-demo-pci",
    .instance_size = sizeof(VirtIODemoPCI),
    .instance_init = virtio_demo_pci_instance_init,
    .class_init = virtio_demo_pci_class_init,
};

static void virtio_demo_pci_register(void)
{
    virtio_pci_types_register(&virtio_demo_pci_info);
}

type_init(virtio_demo_pci_register)
