/*
 * NVMe completion status: what the block layer makes of it, and the
 * specification's words for the log (base specification 1.4, 4.6.1.2;
 * NVM command set for the media and data-integrity codes).
 * Host-compilable (tests/host/test_nvme.c).
 */
#include <pagoda/nvme.h>
#include <pagoda/vsprintf.h>

struct status_name {
	u16 code;		/* SCT << 8 | SC */
	const char *name;
};

#define S(sct, sc, name)	{ (u16)((sct) << 8 | (sc)), name }

static const struct status_name status_names[] = {
	S(NVME_SCT_GENERIC, 0x00, "Successful Completion"),
	S(NVME_SCT_GENERIC, 0x01, "Invalid Command Opcode"),
	S(NVME_SCT_GENERIC, 0x02, "Invalid Field in Command"),
	S(NVME_SCT_GENERIC, 0x03, "Command ID Conflict"),
	S(NVME_SCT_GENERIC, 0x04, "Data Transfer Error"),
	S(NVME_SCT_GENERIC, 0x05, "Commands Aborted due to Power Loss Notification"),
	S(NVME_SCT_GENERIC, 0x06, "Internal Error"),
	S(NVME_SCT_GENERIC, 0x07, "Command Abort Requested"),
	S(NVME_SCT_GENERIC, 0x08, "Command Aborted due to SQ Deletion"),
	S(NVME_SCT_GENERIC, 0x09, "Command Aborted due to Failed Fused Command"),
	S(NVME_SCT_GENERIC, 0x0a, "Command Aborted due to Missing Fused Command"),
	S(NVME_SCT_GENERIC, 0x0b, "Invalid Namespace or Format"),
	S(NVME_SCT_GENERIC, 0x0c, "Command Sequence Error"),
	S(NVME_SCT_GENERIC, 0x20, "Namespace is Write Protected"),
	S(NVME_SCT_GENERIC, 0x21, "Command Interrupted"),
	S(NVME_SCT_GENERIC, 0x22, "Transient Transport Error"),
	S(NVME_SCT_GENERIC, 0x80, "LBA Out of Range"),
	S(NVME_SCT_GENERIC, 0x81, "Capacity Exceeded"),
	S(NVME_SCT_GENERIC, 0x82, "Namespace Not Ready"),
	S(NVME_SCT_GENERIC, 0x83, "Reservation Conflict"),
	S(NVME_SCT_GENERIC, 0x84, "Format In Progress"),
	S(NVME_SCT_CMD_SPECIFIC, 0x00, "Completion Queue Invalid"),
	S(NVME_SCT_CMD_SPECIFIC, 0x01, "Invalid Queue Identifier"),
	S(NVME_SCT_CMD_SPECIFIC, 0x02, "Invalid Queue Size"),
	S(NVME_SCT_CMD_SPECIFIC, 0x08, "Invalid Interrupt Vector"),
	S(NVME_SCT_CMD_SPECIFIC, 0x0c, "Invalid Queue Deletion"),
	S(NVME_SCT_CMD_SPECIFIC, 0x80, "Conflicting Attributes"),
	S(NVME_SCT_CMD_SPECIFIC, 0x82, "Attempted Write to Read Only Range"),
	S(NVME_SCT_MEDIA, 0x80, "Write Fault"),
	S(NVME_SCT_MEDIA, 0x81, "Unrecovered Read Error"),
	S(NVME_SCT_MEDIA, 0x82, "End-to-end Guard Check Error"),
	S(NVME_SCT_MEDIA, 0x83, "End-to-end Application Tag Check Error"),
	S(NVME_SCT_MEDIA, 0x84, "End-to-end Reference Tag Check Error"),
	S(NVME_SCT_MEDIA, 0x85, "Compare Failure"),
	S(NVME_SCT_MEDIA, 0x86, "Access Denied"),
	S(NVME_SCT_MEDIA, 0x87, "Deallocated or Unwritten Logical Block"),
	S(NVME_SCT_PATH, 0x00, "Internal Path Error"),
	S(NVME_SCT_PATH, 0x60, "Controller Pathing Error"),
	S(NVME_SCT_PATH, 0x70, "Host Pathing Error"),
	S(NVME_SCT_PATH, 0x71, "Command Aborted By Host"),
};

/* SCT and SC only: the retry, more and CRD bits do not change the meaning. */
static u16 status_code(u16 status)
{
	return (u16)(NVME_SCT(status) << 8 | NVME_SC(status));
}

blk_status_t nvme_status_to_blk(u16 status)
{
	switch (status_code(status)) {
	case NVME_SCT_GENERIC << 8 | 0x00:
		return BLK_STS_OK;
	case NVME_SCT_GENERIC << 8 | 0x01:	/* opcode or field the device does not do */
	case NVME_SCT_GENERIC << 8 | 0x02:
		return BLK_STS_NOTSUPP;
	case NVME_SCT_GENERIC << 8 | 0x20:	/* namespace write protected */
	case NVME_SCT_CMD_SPECIFIC << 8 | 0x82:	/* read-only range */
		return BLK_STS_ROFS;
	case NVME_SCT_GENERIC << 8 | 0x81:	/* capacity exceeded */
		return BLK_STS_NOSPC;
	default:
		return BLK_STS_IOERR;
	}
}

const char *nvme_status_name(u16 status)
{
	u16 code = status_code(status);

	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
		if (status_names[i].code == code)
			return status_names[i].name;
	return NULL;
}

void nvme_format_status(char *buf, size_t len, u16 status)
{
	const char *name = nvme_status_name(status);

	snprintf(buf, len, "%s (sct %#x, sc %#x%s%s)", name ? name : "Unknown Status",
		 NVME_SCT(status), NVME_SC(status), (status & NVME_STATUS_DNR) ? ", dnr" : "",
		 (status & NVME_STATUS_MORE) ? ", more" : "");
}
