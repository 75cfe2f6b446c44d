# drivers/: device drivers.
DRIVER_SRCS := drivers/serial.c
# ACPI: the parsers (host-tested, tests/host/test_acpi.c) and the kernel's tables.
ACPI_PARSER_SRCS := drivers/acpi/tables.c drivers/acpi/madt.c drivers/acpi/fadt.c \
	drivers/acpi/aml.c
DRIVER_SRCS += $(ACPI_PARSER_SRCS) drivers/acpi/acpi.c
# PCI: enumeration, BARs, capabilities, the driver model and the listing are
# host-tested (tests/host/test_pci.c); the mechanisms and MSI are kernel-only.
PCI_CORE_SRCS := drivers/pci/access.c drivers/pci/probe.c drivers/pci/cap.c \
	drivers/pci/driver.c drivers/pci/show.c
DRIVER_SRCS += $(PCI_CORE_SRCS) drivers/pci/ecam.c drivers/pci/msi.c drivers/pci/pci.c
DRIVER_SRCS += drivers/block/testblk.c
# virtio: split virtqueues (host-tested, tests/host/test_virtio_ring.c), the
# modern PCI transport, and the virtio-blk driver (docs/virtio.md).
VIRTIO_RING_SRCS := drivers/virtio/virtio_ring.c
DRIVER_SRCS += $(VIRTIO_RING_SRCS) drivers/virtio/virtio_pci_modern.c drivers/block/virtio_blk.c
include drivers/nvme/nvme.mk
