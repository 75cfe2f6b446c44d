# tools/tools.mk - host-side tools, included by the top-level Makefile.
#
# Expects from the includer: HOSTCC and HOST_TOOL_CFLAGS (with -MD).
# Provides: TOOLS_RUNNER, the KTAP test runner (see tools/ktest-runner.c).

TOOLS_RUNNER := build/tools/ktest-runner

# Compiled and linked in one step; with -MD gcc writes $(TOOLS_RUNNER).d.
# tools/tools.mk is a prerequisite so a changed rule rebuilds the runner.
$(TOOLS_RUNNER): tools/ktest-runner.c tools/tools.mk
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_TOOL_CFLAGS) -o $@ $<

-include $(TOOLS_RUNNER).d

# The block tests' data pattern, for checking disk images on the host.
TOOLS_BLK_PATTERN := build/tools/blk-pattern
$(TOOLS_BLK_PATTERN): tools/blk-pattern.c include/pagoda/blk_pattern.h tools/tools.mk
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_TOOL_CFLAGS) -Iinclude -DHOST_TEST -o $@ $<
-include $(TOOLS_BLK_PATTERN).d
