# drivers/nvme/: the NVM Express driver (docs/nvme.md).
# The protocol helpers are host-tested (tests/host/test_nvme.c).
NVME_LIB_SRCS := drivers/nvme/prp.c drivers/nvme/status.c drivers/nvme/identify.c
DRIVER_SRCS += $(NVME_LIB_SRCS) drivers/nvme/core.c drivers/nvme/queue.c drivers/nvme/admin.c \
	drivers/nvme/io.c drivers/nvme/ns.c drivers/nvme/reset.c
