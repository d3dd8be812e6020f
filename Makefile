# vmatrace build. `make` builds build/vmatrace; `make test`, `make run`, `make bench`.
# V=1 shows full commands.
.DELETE_ON_ERROR:
.SUFFIXES:

# SANITIZE=1: everything under ASan and UBSan, in its own build directory.
ifeq ($(SANITIZE),1)
OUT       := build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
OUT       := build
SAN_FLAGS :=
endif
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86
PREFIX    ?= /usr/local

# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the user's (make CFLAGS=-O0 keeps the rest):
# what the build itself needs is in the VMT_ ones, always added.
CFLAGS    ?= -g -O2
# Link-time optimisation (LTO=0: none): the small accessors of the model, the VMA map and the
# history inline across files, ~8% of the daemon's CPU per event (docs/BENCHMARKS.md).
# Sanitizer builds go without it.
ifeq ($(SANITIZE),1)
LTO       ?= 0
else
LTO       ?= 1
endif
ifeq ($(LTO),1)
LTO_FLAGS := -flto=auto
endif
VMT_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -D_GNU_SOURCE \
	      $(SAN_FLAGS) $(LTO_FLAGS)
VMT_CPPFLAGS := -Iinclude -I$(OUT)
VMT_LDFLAGS := $(SAN_FLAGS) $(LTO_FLAGS)
VMT_LDLIBS := -lbpf -lelf -lz -lsystemd -lm -lmicrohttpd -ljansson -ldw -lstdc++ -lcap-ng
override CFLAGS := $(VMT_CFLAGS) $(CFLAGS)
override CPPFLAGS := $(VMT_CPPFLAGS) $(CPPFLAGS)
override LDFLAGS := $(VMT_LDFLAGS) $(LDFLAGS)
override LDLIBS := $(VMT_LDLIBS) $(LDLIBS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I. -Iinclude

# maps.bpf.c defines what the others declare extern: it must be linked first.
BPF_SRCS  := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/bpf/%.bpf.o)
SKEL      := $(OUT)/vmatrace_bpf.skel.h
APP_SRCS  := $(wildcard src/*.c)
APP_OBJS  := $(APP_SRCS:src/%.c=$(OUT)/src/%.o)
LIB_OBJS  := $(filter-out $(OUT)/src/main.o,$(APP_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/unit/%.o)
INT_SRCS  := $(wildcard tests/integration/*.c)
INT_OBJS  := $(INT_SRCS:tests/integration/%.c=$(OUT)/tests/integration/%.o)
WORKLOADS := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(wildcard tests/workloads/*.c)) \
	     $(patsubst tests/workloads/%.cc,$(OUT)/workloads/%,$(wildcard tests/workloads/*.cc)) \
	     $(OUT)/workloads/libvmtsite.so $(OUT)/workloads/deb_stripped $(OUT)/workloads/deb_dbgsym
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(wildcard bench/*.c))

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: format-check all setup test unit-test integration-test run bench clean install vmlinux format
all: $(OUT)/vmatrace $(WORKLOADS)

$(OUT)/bpf $(OUT)/src $(OUT)/tests/unit $(OUT)/tests/integration $(OUT)/workloads $(OUT)/bench:
	$(Q)mkdir -p $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/vmatrace.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUT)/vmatrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name vmatrace_bpf > $@

# The skeleton must exist before any compile; -MMD then records who really uses it.
$(OUT)/src/%.o: src/%.c | $(OUT)/src $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/vmatrace: $(APP_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# deb_*: built with Debian's default flags (no frame pointers), as Debian's own binaries are.
DEB_CFLAGS := $(shell dpkg-buildflags --get CFLAGS 2>/dev/null || echo -g -O2)
DEB_LDFLAGS := $(shell dpkg-buildflags --get LDFLAGS 2>/dev/null)
$(OUT)/workloads/deb_%: tests/workloads/deb_%.c | $(OUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(DEB_CFLAGS) $(DEB_LDFLAGS) -Wall -Werror -D_GNU_SOURCE -MMD -MP $< -o $@ -lpthread

$(OUT)/workloads/deb_%: tests/workloads/deb_%.cc | $(OUT)/workloads
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(DEB_CFLAGS) $(DEB_LDFLAGS) -Wall -Werror -MMD -MP $< -o $@

# A PIE program calling into a shared library of its own, both at randomized bases.
$(OUT)/workloads/libvmtsite.so: tests/workloads/deb_libsite.c | $(OUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(DEB_CFLAGS) $(DEB_LDFLAGS) -fPIC -shared -DVMT_SITE_LIB -Wall -Werror $< -o $@
$(OUT)/workloads/deb_libsite: tests/workloads/deb_libsite.c $(OUT)/workloads/libvmtsite.so
	$(call msg,CC,$@)
	$(Q)$(CC) $(DEB_CFLAGS) $(DEB_LDFLAGS) -fPIE -pie -Wall -Werror $< -o $@ \
		-L$(OUT)/workloads -lvmtsite -Wl,-rpath,'$$ORIGIN'

# deb_two_sites without any symbol table: frames must read module+offset.
$(OUT)/workloads/deb_stripped: $(OUT)/workloads/deb_two_sites
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -o $@ $<

# The same stripped, with its symbols in a separate debug file found by build-id, as Debian's
# -dbgsym packages ship them (the test installs it under /usr/lib/debug/.build-id and removes it).
$(OUT)/workloads/deb_dbgsym.debug: $(OUT)/workloads/deb_two_sites
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@
$(OUT)/workloads/deb_dbgsym: $(OUT)/workloads/deb_two_sites $(OUT)/workloads/deb_dbgsym.debug
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -o $@ $<

$(OUT)/workloads/%: tests/workloads/%.c | $(OUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP $< -o $@ -lpthread

# Benchmarks may use the project's modules (e.g. the VMA map), so they link them.
$(OUT)/bench/%: bench/%.c $(LIB_OBJS) | $(OUT)/bench $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -lpthread -o $@

$(OUT)/tests/unit/%.o: tests/unit/%.c | $(OUT)/tests/unit $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/tests/integration/%.o: tests/integration/%.c | $(OUT)/tests/integration $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

$(OUT)/integration-tests: $(INT_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

setup:
	$(Q)scripts/setup.sh

# Criterion runs tests in parallel by default; the root tests share the kernel's
# tracepoints and the machine's two cores, so they run one at a time.
# Then root tests again on Debian 12's own kernel (6.1, cgroup v2) in QEMU: the kernel matrix
# (tests/vm/README.md). Under TCG the whole suite takes ~9 minutes there; make test runs a set
# that covers the four scenarios (2 is tests/vm/oom-v2.sh: memory.max), the model's accuracy,
# alerts, the journal and its reports, the tracer, metrics and containers in ~3.5 minutes. VM_TEST=0
# leaves it out; `make vm-test` runs everything (or VM_TESTS=...).
VM_TEST ?= 1
VM_TEST_SET = model/accuracy_torture \
	model/scenario4_brk_high_water_stays_while_memory_is_freed \
	daemon/scenario1_threshold_alerts_before_the_enomem_alert \
	daemon/reports_in_every_format_from_a_recorded_journal \
	trace/mmap_loop_every_call_in_order trace/threads_every_thread_seen \
	trace/nonexistent_pid_is_a_clear_error metrics/endpoint_textfile_and_control_socket \
	kernel/version_v_lists_each_feature_as_the_kernel_has_it \
	kernel/status_lists_the_fallbacks_and_exec_takes_them \
	trace/attach_by_pid_and_exit_with_it trace/in_a_pid_namespace_never_itself_and_p_takes_its_pids \
	stacks/stripped_binary_gives_module_and_offset stacks/in_a_pid_namespace_proc_is_read_by_its_pids \
	containers/docker_and_kubepods_named_in_status_and_alerts \
	containers/oom_kill_in_a_pod_names_its_container
# Under SANITIZE=1 the first error aborts the process that made it, and every report (of the
# daemons the tests start too, whose stderr no test reads) goes to $(OUT)/asan/: any there
# fails the run. Nothing is suppressed. The fast unwinder (frame pointers: our code has them
# under SANITIZE=1) keeps the suite within its time: the slow one made trace/scenario1 take
# 11 minutes.
SAN_LOG   := $(abspath $(OUT))/asan
SAN_ENV   := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$(SAN_LOG)/asan \
	     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SAN_LOG)/ubsan
test: setup
	$(Q)$(MAKE) --no-print-directory all $(OUT)/unit-tests $(OUT)/integration-tests $(FUZZ_BINS)
	$(Q)scripts/check-headers.sh $(OUT)
	$(Q)rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	$(Q)$(SAN_ENV) $(OUT)/unit-tests --jobs 2
	$(Q)FUZZ_SECONDS=$(FUZZ_BRIEF_SECONDS) scripts/fuzz.sh $(FUZZ_OUT)
	$(Q)$(SAN_ENV) VMATRACE_BUILD=$(OUT) scripts/run-integration.sh $(OUT)/integration-tests
	$(Q)if [ -n "$$(ls -A $(SAN_LOG))" ]; then cat $(SAN_LOG)/* >&2; \
		echo "sanitizer reports: $(SAN_LOG)" >&2; exit 1; fi
	$(Q)if [ "$(VM_TEST)" != 0 ]; then \
		VM_BUILD=$(OUT) VM_TESTS='$(VM_TEST_SET)' tests/vm/run.sh; fi

# ---- fuzzing: libFuzzer harnesses under ASan and UBSan (clang), tests/fuzz/ ----
# The project's modules built again with clang and the sanitizers, in their own directory;
# each harness links them. `make fuzz` runs each for FUZZ_SECONDS on its seed corpus (new
# inputs go to build/fuzz/corpus/NAME, crashes to build/fuzz/crashes/); `make test` runs each
# for FUZZ_BRIEF_SECONDS after replaying tests/fuzz/regress/NAME/, the crashes found so far.
FUZZ_SECONDS ?= 60
FUZZ_BRIEF_SECONDS ?= 4
FUZZ_OUT  := $(OUT)/fuzz
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 $(filter-out -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer -flto%,$(VMT_CFLAGS)) $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(LIB_OBJS:$(OUT)/src/%.o=$(FUZZ_OUT)/src/%.o)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_OUT)/src:
	$(Q)mkdir -p $@

$(FUZZ_OUT)/src/%.o: src/%.c | $(FUZZ_OUT)/src $(SKEL)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS) | $(SKEL)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -Isrc -Itests $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP $< \
		$(FUZZ_LIB_OBJS) $(VMT_LDLIBS) -o $@

# Made by a pattern rule only for the harnesses: kept, or each make would build them again.
.SECONDARY: $(FUZZ_LIB_OBJS)

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP=1 scripts/fuzz.sh $(FUZZ_OUT)

unit-test: $(OUT)/unit-tests
	$(Q)$(OUT)/unit-tests

run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/run.sh

bench: setup
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)BUILD=$(OUT) bench/run.sh

# The root integration tests in a QEMU guest booting Debian 12's kernel (6.1, cgroup v2).
# VM_TESTS='trace/*' picks tests by name (globs), VM_SKIP leaves some out; tests/vm/run.sh
# lists the other variables, tests/vm/README.md the results. `make test` runs the default set.
.PHONY: vm-test
vm-test: setup
	$(Q)$(MAKE) --no-print-directory all $(OUT)/integration-tests
	$(Q)VM_BUILD=$(OUT) tests/vm/run.sh

vmlinux:
	$(Q)scripts/gen-vmlinux-h.sh

FORMAT_SRCS = $(wildcard src/*.c include/*.h bpf/*.c bpf/*.h tests/*/*.c tests/*/*.h \
		 tests/workloads/*.cc bench/*.c bench/*.h)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

# CI: every source as `make format` leaves it.
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

# The binary, the systemd unit, the default configuration (never over an existing
# one) and the man pages. `systemctl daemon-reload && systemctl enable --now vmatrace`.
UNITDIR ?= /etc/systemd/system
install: all
	install -D -m 0755 $(OUT)/vmatrace $(DESTDIR)$(PREFIX)/sbin/vmatrace
	install -D -m 0644 contrib/vmatrace.service $(DESTDIR)$(UNITDIR)/vmatrace.service
	sed -i 's|/usr/local/sbin/vmatrace|$(PREFIX)/sbin/vmatrace|' $(DESTDIR)$(UNITDIR)/vmatrace.service
	[ -e $(DESTDIR)/etc/vmatrace/vmatrace.conf ] || \
		install -D -m 0644 contrib/vmatrace.conf $(DESTDIR)/etc/vmatrace/vmatrace.conf
	install -D -m 0644 docs/man/man8/vmatrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/vmatrace.8
	install -D -m 0644 docs/man/man5/vmatrace.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/vmatrace.conf.5

clean:
	$(Q)rm -rf $(OUT)

-include $(wildcard $(OUT)/bpf/*.d $(OUT)/src/*.d $(OUT)/tests/*/*.d $(OUT)/workloads/*.d $(OUT)/bench/*.d \
	$(FUZZ_OUT)/src/*.d $(FUZZ_OUT)/*.d)
