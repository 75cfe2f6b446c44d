# Expanded after every fragment has added to HOST_TESTS.
$(foreach t,$(HOST_TESTS),$(eval $(call host_test_rule,$(t))))
HOST_DEP_FILES := $(patsubst %.o,%.d,$(sort $(foreach t,$(HOST_TESTS),$(call host_test_objs,$(t)))))
host-tests: $(HOST_TEST_BINS)
