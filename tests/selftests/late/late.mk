# 30-callbacks.t, 31-late.t, 32-late-stress.t: a program that loads and
# unloads libraries, the libraries, and patches of them (included by
# ../Makefile).
LATE_CFLAGS := -O2 -g -Wall -Wextra -Werror -I progs -I late
LATE_LIBS := $(OUT)/libcb1.so.1 $(OUT)/libcb2.so.1 $(OUT)/libcbbusy.so.1 \
	     $(OUT)/libpad.so $(OUT)/libpad2.so
LATE_PATCHES := $(OUT)/lp-cb.o $(OUT)/lp-cb2.o $(OUT)/lp-cb-replace.o $(OUT)/lp-cb-unpatch.o $(OUT)/lp-cb-crash.o $(OUT)/lp-cb-hang.o \
		$(OUT)/lp-late1.o $(OUT)/lp-late.klp.o $(OUT)/lp-late-nobid.klp.o

late-all: $(OUT)/late $(LATE_LIBS) $(OUT)/other/libcb1.so.1 $(OUT)/renamed/libcb1.so.1 \
	  $(LATE_PATCHES)

$(OUT)/libcb%.so.1: late/libcb%.c
	@mkdir -p $(OUT)
	$(CC) $(LATE_CFLAGS) -fPIC -shared -Wl,-soname,libcb$*.so.1 -o $@ $<

# The same library, another build (another build-id), elsewhere.
$(OUT)/other/libcb1.so.1: late/libcb1.c
	@mkdir -p $(OUT)/other
	$(CC) $(LATE_CFLAGS) -fPIC -shared -Wl,-soname,libcb1.so.1 \
		-Wl,--build-id=0x0badcafe0badcafe0badcafe0badcafe0badcafe -o $@ $<

$(OUT)/renamed/libcb1.so.1: late/libcb1.c
	@mkdir -p $(OUT)/renamed
	$(CC) $(LATE_CFLAGS) -DCB1_RENAMED -fPIC -shared -Wl,-soname,libcb1.so.1 -o $@ $<

$(OUT)/libpad.so: late/libpad.c
	$(CC) $(LATE_CFLAGS) -fPIC -shared -Wl,-soname,libpad.so -o $@ $<

$(OUT)/libpad2.so: late/libpad.c
	$(CC) $(LATE_CFLAGS) -DPAD_BIG -fPIC -shared -Wl,-soname,libpad2.so -o $@ $<

# -rdynamic: the patches read cb_pre_patch_ret and call cb_log.
$(OUT)/late: late/late.c progs/cmdloop.c progs/checked_read.S late/cb.h progs/cmdloop.h
	$(CC) $(LATE_CFLAGS) -rdynamic -o $@ late/late.c progs/cmdloop.c progs/checked_read.S \
		-ldl -pthread -Wl,-rpath,'$$ORIGIN'

LATE_PCFLAGS := $(PCFLAGS) -I late

$(OUT)/lp-cb.o: late/lp-cb.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -DPATCH_NAME='"lp-cb"' -DANSWER_ADD=1000 -c $< -o $@

# The kernel's test_klp_callbacks_demo2: the same, another patch.
$(OUT)/lp-cb2.o: late/lp-cb.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -DPATCH_NAME='"lp-cb2"' -DANSWER_ADD=2000 -c $< -o $@

$(OUT)/lp-cb-unpatch.o: late/lp-cb.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -DPATCH_NAME='"lp-cb-unpatch"' -DANSWER_ADD=4000 -DONLY_UNPATCH -c $< -o $@

# demo2 with replace=1, for the atomic replace scenario.
$(OUT)/lp-cb-replace.o: late/lp-cb.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -DPATCH_NAME='"lp-cb-replace"' -DANSWER_ADD=3000 -DREPLACE=true -c $< -o $@

$(OUT)/lp-cb-crash.o: late/lp-cb-crash.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -c $< -o $@

$(OUT)/lp-cb-hang.o: late/lp-cb-crash.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -DCB_HANG -c $< -o $@

$(OUT)/lp-late1.o: late/lp-late1.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -c $< -o $@

$(OUT)/lp-late.o: late/lp-late.c $(TOP)/include/uklp/livepatch.h
	$(CC) $(LATE_PCFLAGS) -c $< -o $@

$(OUT)/late.syms: $(OUT)/late $(OUT)/libcb1.so.1 $(OUT)/libcb2.so.1 $(UKLP)
	$(UKLP) symbols -o $@ $(OUT)/late $(OUT)/libcb1.so.1 $(OUT)/libcb2.so.1

$(OUT)/lp-late.klp.o: $(OUT)/lp-late.o $(OUT)/late.syms $(UKLP)
	$(UKLP) convert --symbols $(OUT)/late.syms $< $@

# Converted without libcb1's build-id ("-" in the symbol database): the
# patch then loads into another build of libcb1, whose symbols decide
# (the runtime's own checks).
$(OUT)/late-nobid.syms: $(OUT)/late.syms
	sed 's/^object libcb1.so.1 [0-9a-f]* /object libcb1.so.1 - /' $< > $@

$(OUT)/lp-late-nobid.klp.o: $(OUT)/lp-late.o $(OUT)/late-nobid.syms $(UKLP)
	$(UKLP) convert --symbols $(OUT)/late-nobid.syms $< $@

.PHONY: late-all
