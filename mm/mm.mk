# mm/: host-compilable memory management (no arch header).
MM_SRCS :=
