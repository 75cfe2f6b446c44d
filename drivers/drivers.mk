# drivers/: device drivers.
DRIVER_SRCS := drivers/serial.c
# ACPI: the parsers (host-tested, tests/host/test_acpi.c) and the kernel's tables.
ACPI_PARSER_SRCS := drivers/acpi/tables.c drivers/acpi/madt.c drivers/acpi/fadt.c \
	drivers/acpi/aml.c
DRIVER_SRCS += $(ACPI_PARSER_SRCS) drivers/acpi/acpi.c
