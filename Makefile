# stepdeploy — one top-level Makefile, no recursive make.
#
#   make deps         install the Debian packages the build needs (apt-get)
#   make all          programs in build/ (build/stepdeploy, build/hello-world)
#   make test         sanitizer build (build/asan) and every test
#   make conformance  the ASL conformance corpus through the engine
#   make jsonata-test the JSONata test suite through sd_jsonata
#   make demo         build and run the hello-world example
#   make bench        every benchmark, ours beside the peers, in one table
#   make fuzz         each libFuzzer target for FUZZ_SECONDS, FUZZ_JOBS at a time (build/fuzz),
#                     then make jsonata-diff
#   make jsonata-diff sd_jsonata against jsonata-js on random expressions
#   make install      install the programs, units, man pages under PREFIX
#                     (DESTDIR honoured; the policy in SYSCONFDIR, kept)
#   make install-test make install into a temporary DESTDIR, checked
#   make lint         banned-function check

SHELL		:= /bin/bash
CC		?= cc
FUZZ_CC		?= clang
PREFIX		?= /usr/local
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
MANDIR		?= $(PREFIX)/share/man
SHARED		?= ../shared
FUZZ_SECONDS	?= 60
FUZZ_SMOKE_SECONDS ?= 3
BUILD		:= build

PKGS		:= jansson openssl libcurl libzip libsodium libseccomp libpcre2-8 zlib
TEST_PKGS	:= $(PKGS) cmocka

# Debian packages behind the pkg-config names above, plus the fuzz toolchain.
DEB_PKGS	:= build-essential pkg-config libjansson-dev libssl-dev \
		   libcurl4-openssl-dev libsodium-dev libseccomp-dev \
		   libcmocka-dev libzip-dev zlib1g-dev libpcre2-dev clang libclang-rt-14-dev python3 \
		   python3-botocore python3-cryptography awscli curl openssl \
		   graphviz

WARN		:= -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wvla
BASE_CFLAGS	:= -std=c11 -D_GNU_SOURCE $(WARN) -Icommon -Iexecutor -Ivalidator -Isigner -Iuploader -Icli -Iexamples/hello-world
HARDEN		:= -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS		?= -O2 -g
LDFLAGS_HARDEN	:= -pie -Wl,-z,relro,-z,now
SAN_FLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=all
FUZZ_FLAGS	:= -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

pc_cflags	= $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs		= $(shell pkg-config --libs $(1) 2>/dev/null)

COMMON_SRC	:= $(sort $(wildcard common/*.c))
STEP_SRC	:= $(sort $(filter-out executor/main.c,$(wildcard executor/*.c)))
VALIDATOR_SRC	:= $(sort $(filter-out validator/main.c,$(wildcard validator/*.c)))
SIGNER_SRC	:= $(sort $(filter-out signer/main.c,$(wildcard signer/*.c)))
UPLOADER_SRC	:= $(sort $(filter-out uploader/main.c,$(wildcard uploader/*.c)))
CLI_SRC		:= $(sort $(wildcard cli/*.c))
LIB_SRC		:= $(COMMON_SRC) $(STEP_SRC) $(VALIDATOR_SRC) $(SIGNER_SRC) \
		   $(UPLOADER_SRC)
UNIT_SRC	:= $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
HELLO_SRC	:= $(sort $(wildcard examples/hello-world/*.c))

# Object lists per flavour: build/obj (release), build/asan, build/fuzz.
objs		= $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

LIB_OBJ		:= $(call objs,obj,$(LIB_SRC))
LIB_ASAN_OBJ	:= $(call objs,asan,$(LIB_SRC))
LIB_FUZZ_OBJ	:= $(call objs,fuzz,$(LIB_SRC))
UNIT_BIN	:= $(patsubst tests/unit/%.c,$(BUILD)/asan/%,$(UNIT_SRC)) \
		   $(BUILD)/asan/hello-world-test
FUZZ_BIN	:= $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

PROGRAMS	:= $(BUILD)/stepdeploy $(BUILD)/hello-world $(BUILD)/step-bench \
		   $(BUILD)/sign-bench $(BUILD)/lint-bench $(BUILD)/jsonata-bench

.PHONY: all deps test unit conformance jsonata-test cli-test standin-test demo bench fuzz fuzz-build sigv4-cross-check \
	install clean lint asan install-test
.DEFAULT_GOAL := all

all: $(PROGRAMS)

# ---------------------------------------------------------------- deps
deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all build dependencies present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "deps: need root (or sudo) to install:$$missing" >&2; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $$missing

# ---------------------------------------------------------------- compile
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) $(call pc_cflags,$(TEST_PKGS)) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(call pc_cflags,$(TEST_PKGS)) -DSD_TESTING -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
		$(call pc_cflags,$(PKGS)) -DSD_FUZZING -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- programs
$(BUILD)/stepdeploy: $(LIB_OBJ) $(call objs,obj,$(CLI_SRC))
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/hello-world: $(LIB_OBJ) $(call objs,obj,$(filter-out %_test.c,$(HELLO_SRC)))
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/step-bench: $(LIB_OBJ) $(BUILD)/obj/tests/bench/step_bench.o
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/lint-bench: $(LIB_OBJ) $(BUILD)/obj/tests/bench/lint_bench.o
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/jsonata-bench: $(LIB_OBJ) $(BUILD)/obj/tests/bench/jsonata_bench.o
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/sign-bench: $(LIB_OBJ) $(BUILD)/obj/tests/bench/sign_bench.o
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/asan/stepdeploy: $(LIB_ASAN_OBJ) $(call objs,asan,$(CLI_SRC))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/asan/conformance: $(LIB_ASAN_OBJ) $(BUILD)/asan/tests/conformance/run_conformance.o
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/asan/jsonata-suite: $(LIB_ASAN_OBJ) $(BUILD)/asan/tests/jsonata/run_jsonata.o
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

$(BUILD)/asan/hello-world-test: $(LIB_ASAN_OBJ) $(call objs,asan,$(HELLO_SRC:examples/hello-world/main.c=))
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(call pc_libs,$(TEST_PKGS)) -lm

$(BUILD)/asan/test_%: $(LIB_ASAN_OBJ) $(BUILD)/asan/tests/unit/test_%.o
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(call pc_libs,$(TEST_PKGS)) -lm

$(BUILD)/fuzz/fuzz_%: $(LIB_FUZZ_OBJ) $(BUILD)/fuzz/tests/fuzz/fuzz_%.o
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

# ---------------------------------------------------------------- tests
asan: $(BUILD)/asan/stepdeploy $(BUILD)/asan/conformance $(BUILD)/asan/jsonata-suite \
	$(UNIT_BIN)

test: deps
	@$(MAKE) --no-print-directory asan all
	@$(MAKE) --no-print-directory unit conformance jsonata-test cli-test standin-test uploader-test \
		deploy-test service-test install-test sigv4-cross-check fuzz-smoke

# Every fuzz target for a few seconds on its seeds (make test); make fuzz
# runs them for FUZZ_SECONDS.
.PHONY: fuzz-smoke
fuzz-smoke: fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SMOKE_SECONDS)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; SHARED=$(SHARED) $$t; done

standin-test: $(BUILD)/stepdeploy
	bash tests/standin/test_standin.sh

sigv4-cross-check: $(BUILD)/stepdeploy
	SHARED=$(SHARED) BUILD=$(BUILD) bash tests/sigv4/cross_check.sh $(BUILD)/stepdeploy

conformance: $(BUILD)/asan/conformance
	$(BUILD)/asan/conformance --known-failures tests/conformance/known-failures \
		$(SHARED)/conformance/cases

# The JSONata test suite (jsonata-js's, as JSON), each case in a child;
# then our own regression cases (tests/jsonata/regress, same format).
JSONATA_JOBS	?= 2
jsonata-test: $(BUILD)/asan/jsonata-suite
	$(BUILD)/asan/jsonata-suite --jobs $(JSONATA_JOBS) \
		--known-failures tests/jsonata/known-failures $(SHARED)/jsonata-testsuite
	@if ls tests/jsonata/regress/*.json >/dev/null 2>&1; then \
		echo "$(BUILD)/asan/jsonata-suite --jobs $(JSONATA_JOBS) --known-failures tests/jsonata/regress-known-failures tests/jsonata/regress"; \
		$(BUILD)/asan/jsonata-suite --jobs $(JSONATA_JOBS) \
			--known-failures tests/jsonata/regress-known-failures tests/jsonata/regress; fi

# The differential test against jsonata-js (node; the peers' packages in
# $(BUILD)/peers, installed once with npm ci): random expressions from a
# grammar, fixed seed. make fuzz runs it too.
JSONATA_DIFF_COUNT ?= 2000
JSONATA_DIFF_SEED ?= 1
.PHONY: jsonata-peers jsonata-diff
jsonata-peers:
	@if [ ! -d $(BUILD)/peers/node_modules/jsonata ]; then \
		echo "jsonata-peers: npm ci in $(BUILD)/peers (once)"; \
		mkdir -p $(BUILD)/peers && \
		cp $(SHARED)/peers/package.json $(SHARED)/peers/package-lock.json $(BUILD)/peers/ && \
		(cd $(BUILD)/peers && npm ci --no-audit --no-fund >npm.log 2>&1) || \
		{ tail -n 5 $(BUILD)/peers/npm.log >&2; exit 1; }; fi

jsonata-diff: $(BUILD)/asan/jsonata-suite jsonata-peers
	python3 tests/jsonata/diff.py --count $(JSONATA_DIFF_COUNT) --seed $(JSONATA_DIFF_SEED) \
		--suite $(BUILD)/asan/jsonata-suite --node-path $(BUILD)/peers/node_modules

cli-test: $(BUILD)/asan/stepdeploy $(BUILD)/hello-world
	@failed=""; for t in $(sort $(wildcard tests/cli/test_*.sh)); do \
		echo "== $$t"; STEPDEPLOY=$(BUILD)/asan/stepdeploy bash $$t || failed="$$failed $$t"; \
	done; if [ -n "$$failed" ]; then echo "cli-test: failed:$$failed"; exit 1; fi

# ---------------------------------------------------------------- demo, bench, fuzz
demo: deps
	@$(MAKE) --no-print-directory all
	@bash examples/hello-world/demo.sh $(BUILD)
	@bash examples/hello-world/deploy_demo.sh $(BUILD)

# Every bench, then one table (tests/bench/table.sh; each script's own
# output in build/bench-logs, BENCH_VERBOSE=1 shows it; BENCH_RUNS_SCALE=0.1
# for a quick try).
bench: deps
	@$(MAKE) --no-print-directory all
	@bash tests/bench/table.sh $(BUILD) $(SHARED)

fuzz-build: $(FUZZ_BIN)
# Keep the fuzz objects (pattern-rule intermediates) between runs.
.SECONDARY: $(LIB_FUZZ_OBJ) $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/tests/fuzz/%.o,$(FUZZ_SRC))

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)
	@$(MAKE) --no-print-directory jsonata-diff

# ---------------------------------------------------------------- misc
lint:
	@if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi)\s*\(' \
		$(LIB_SRC) $(CLI_SRC) $(HELLO_SRC) $(wildcard */*.h); then \
		echo "lint: banned function used" >&2; exit 1; fi; echo "lint: ok"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/stepdeploy $(DESTDIR)$(PREFIX)/bin/stepdeploy

clean:
	rm -rf $(BUILD)

# uploader
# The AWS clients and the S3 lock (uploader/, in LIB_SRC), driven against
# the local stand-in by tests/uploader/test_aws.sh through a small driver.
$(BUILD)/asan/aws-driver: $(LIB_ASAN_OBJ) $(BUILD)/asan/tests/uploader/aws_driver.o
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm

.PHONY: uploader-test
uploader-test: $(BUILD)/asan/aws-driver $(BUILD)/stepdeploy
	AWS_DRIVER=$(BUILD)/asan/aws-driver bash tests/uploader/test_aws.sh


# signer
# stepdeploy-signer links only common/ and signer/ (no libcurl, no engine):
# the one process that holds the AWS credentials carries as little as it can.
SIGNER_PKGS	:= jansson openssl libsodium libseccomp
SIGNER_LIB_SRC	:= $(COMMON_SRC) $(SIGNER_SRC)

$(BUILD)/stepdeploy-signer: $(call objs,obj,$(SIGNER_LIB_SRC) signer/main.c)
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(SIGNER_PKGS)) -lm

$(BUILD)/asan/stepdeploy-signer: $(call objs,asan,$(SIGNER_LIB_SRC) signer/main.c)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(SIGNER_PKGS)) -lm

# The test client of tests/cli/test_signer.sh, and its sandbox probe (a
# preloaded library: the shipped binary carries no test hook).
$(BUILD)/asan/signer-client-test: $(call objs,asan,$(SIGNER_LIB_SRC) tests/cli/signer_client_test.c)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(SIGNER_PKGS)) -lm

$(BUILD)/signer-sandbox-probe.so: tests/cli/signer_sandbox_probe.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 -fPIC -shared -o $@ $< -ldl

all: $(BUILD)/stepdeploy-signer
asan: $(BUILD)/asan/stepdeploy-signer $(BUILD)/asan/signer-client-test
cli-test: $(BUILD)/stepdeploy-signer $(BUILD)/asan/stepdeploy-signer \
	$(BUILD)/asan/signer-client-test $(BUILD)/signer-sandbox-probe.so

.PHONY: install-signer
install-signer: $(BUILD)/stepdeploy-signer
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/stepdeploy-signer \
		$(DESTDIR)$(PREFIX)/bin/stepdeploy-signer
install: install-signer

# The signature's round trip over sign.sock (make bench).
$(BUILD)/signer-latency: $(call objs,obj,$(SIGNER_LIB_SRC) tests/bench/signer_latency.c)
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(SIGNER_PKGS)) -lm
all: $(BUILD)/signer-latency

# deploy
.PHONY: deploy-test
deploy-test: $(BUILD)/asan/stepdeploy $(BUILD)/stepdeploy-signer
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_deploy.sh
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_ops.sh
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_crash.sh
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_rollback.sh
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_scenarios.sh
	STEPDEPLOY=$(BUILD)/asan/stepdeploy SIGNER=$(BUILD)/stepdeploy-signer bash tests/uploader/test_tls.sh

# the service: stepdeploy-executor, -validator, -uploader (each main.c is
# its own program; the rest of each directory is in LIB_SRC)
DAEMONS		:= executor validator uploader
$(BUILD)/stepdeploy-%: $(LIB_OBJ) $(BUILD)/obj/%/main.o
	$(CC) $(LDFLAGS_HARDEN) -o $@ $^ $(call pc_libs,$(PKGS)) -lm
$(BUILD)/asan/stepdeploy-%: $(LIB_ASAN_OBJ) $(BUILD)/asan/%/main.o
	$(CC) $(SAN_FLAGS) -o $@ $^ $(call pc_libs,$(PKGS)) -lm
all: $(patsubst %,$(BUILD)/stepdeploy-%,$(DAEMONS))

# The service end to end (tests/service): the daemons as shipped, the CLI
# with the sanitizers.
.PHONY: service-test
service-test: all $(BUILD)/asan/stepdeploy $(BUILD)/signer-sandbox-probe.so
	@failed=""; for t in $(sort $(wildcard tests/service/test_*.sh)); do \
		echo "== $$t"; STEPDEPLOY=$(BUILD)/asan/stepdeploy bash $$t || failed="$$failed $$t"; \
	done; if [ -n "$$failed" ]; then echo "service-test: failed:$$failed"; exit 1; fi

.PHONY: install-service
install-service: $(patsubst %,$(BUILD)/stepdeploy-%,$(DAEMONS))
	install -d $(DESTDIR)$(PREFIX)/bin
	for d in $(DAEMONS); do install -m 0755 $(BUILD)/stepdeploy-$$d \
		$(DESTDIR)$(PREFIX)/bin/stepdeploy-$$d || exit 1; done
install: install-service

# the build host: systemd units (from templates: the paths follow PREFIX
# and SYSCONFDIR), users (sysusers.d), /run/stepdeploy (tmpfiles.d), the
# example policy (never over an existing one) and the man pages.
UNITS		:= signer executor uploader validator
MAN1		:= $(sort $(wildcard man/*.1))
MAN8		:= $(sort $(wildcard man/*.8))

.PHONY: install-systemd install-policy install-man install-test
install-systemd:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	for u in $(UNITS); do sed -e 's|@BINDIR@|$(PREFIX)/bin|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/stepdeploy-$$u.service.in \
		>$(DESTDIR)$(UNITDIR)/stepdeploy-$$u.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/stepdeploy-$$u.service || exit 1; done
	install -m 0644 systemd/stepdeploy.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/stepdeploy.conf
	install -m 0644 systemd/stepdeploy.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/stepdeploy.conf

install-policy:
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/stepdeploy
	@p=$(DESTDIR)$(SYSCONFDIR)/stepdeploy/policy.json; \
	if [ -e "$$p" ] || [ -L "$$p" ]; then echo "install: keeping $$p (the example is policy/policy.example.json)"; \
	else echo "install -m 0644 policy/policy.example.json $$p"; \
		install -m 0644 policy/policy.example.json "$$p"; fi

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8

install: install-systemd install-policy install-man

install-test: all
	bash tests/install/test_install.sh
