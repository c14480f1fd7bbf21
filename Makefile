# SPDX-License-Identifier: ISC
#
# kpass — GNU make build.
#
# Each module lists its sources, one line per file, in src/<module>/module.mk.
# Everything but the two entry points goes into build/libkpass.a; the
# programs, the Check runner and the fuzz targets link against it.
#
#   make            build kpassd and kpass (warnings are errors; WERROR= to relax)
#   make test       build and run every test; ends with Check's summary line
#                   (SHARDS=n suites at a time, 3 unless told; SHARDS=1 one by one)
#   make test-pg    the store-level suites with the store on PostgreSQL (KP_TEST_STORE)
#   make test-cluster  the HA PostgreSQL cluster suite (tests/cluster/; about a minute)
#   make bench-failover  five failovers of that cluster, min/median/max
#   make layers     the layer check alone (make test runs it first)
#   make format-check  clang-format 14 --dry-run over src, tests, include (make test runs it)
#   make debug      the same binaries with ASan+UBSan under build/debug
#   make debug-test run the test suite against the sanitizer build
#   make fuzz       libFuzzer targets (clang) under build/fuzz
#   make fuzz-long  run each of them SECONDS=N seconds (JOBS=J at a time)
#   make bench      the micro-benchmark programs under build/bench
#   make demo       install dependencies, build, run the demo on ./var
#   make deps       apt-get what is missing (root, or sudo otherwise)
#   make install    PREFIX=/usr/local DESTDIR= honoured; make uninstall

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/kpass
# The FHS: a /usr install keeps its configuration in /etc, not /usr/etc;
# /usr/local keeps /usr/local/etc.  State lives in /var for both (a
# private prefix such as /opt/kpass keeps its own var/).
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
ifneq ($(filter /usr /usr/local,$(PREFIX)),)
LOCALSTATEDIR ?= /var
else
LOCALSTATEDIR ?= $(PREFIX)/var
endif
STATEDIR   ?= $(LOCALSTATEDIR)/lib/kpass
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR    ?=

BUILD      ?= build
CC         ?= cc
# make V=1 shows whole command lines
V          ?= 0
ifeq ($(V),0)
Q          := @
SAY         = @echo "  $(1)	$(2)"
else
Q          :=
SAY         =
endif
PKG_CONFIG ?= pkg-config
NODE       ?= node

PKGS       := libevent_core libevent_extra libevent_openssl openssl libsmpp34 sqlite3 libpq libsodium jansson libqrencode libpng
HAVE_ZBAR  := $(shell $(PKG_CONFIG) --exists zbar 2>/dev/null && echo 1)
ifeq ($(HAVE_ZBAR),1)
PKGS       += zbar
endif

# pkg-config's -I becomes -isystem so that our warnings do not fire inside
# other projects' headers (libsmpp34's headers are not warning-clean).
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags check 2>/dev/null))
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WERROR     ?= -Werror
WARNINGS   := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wundef
OPT        ?= -O2 -g
SANITIZE   ?=
KP_CFLAGS  := -std=c11 -D_GNU_SOURCE -pthread $(OPT) $(WARNINGS) $(WERROR) \
              -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-strict-aliasing \
              -Iinclude -I$(BUILD)/gen $(PKG_CFLAGS)
ifeq ($(HAVE_ZBAR),1)
KP_CFLAGS  += -DKP_HAVE_ZBAR=1
endif
ifneq ($(SANITIZE),)
KP_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
KP_LDFLAGS += -fsanitize=$(SANITIZE)
endif
KP_LDFLAGS += -pthread $(LDFLAGS)

SRCS       :=
KPASS_SRCS :=
include src/core/module.mk
include src/text/module.mk
include src/smpp/module.mk
include src/store/module.mk
include src/ussd/module.mk
include src/menu/module.mk
include src/id/module.mk
include src/audit/module.mk
include src/registry/module.mk
include src/office/module.mk
include src/verify/module.mk
include src/partner/module.mk
include src/sms/module.mk
include src/http/module.mk
include src/kpass/module.mk

KPASSD_SRCS := src/kpassd.c

OBJS        := $(SRCS:%.c=$(BUILD)/%.o)
KPASS_OBJS  := $(KPASS_SRCS:%.c=$(BUILD)/%.o)
KPASSD_OBJS := $(KPASSD_SRCS:%.c=$(BUILD)/%.o)
LIB         := $(BUILD)/libkpass.a

# Check suites: every tests/check_<name>.c defines `Suite *suite_<name>(void)`;
# the runner's list is generated from the file names.  The attacks live
# together in tests/security/check_sec_<name>.c (suite_sec_<name>).
TEST_SRCS   := $(sort $(wildcard tests/check_*.c)) $(sort $(wildcard tests/security/check_*.c))
TEST_NAMES  := $(patsubst check_%.c,%,$(notdir $(TEST_SRCS)))
TEST_OBJS   := $(TEST_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/testutil.o $(BUILD)/tests/smpputil.o \
               $(BUILD)/tests/ussdgw.o $(BUILD)/tests/pgtest.o $(BUILD)/tests/nodes.o \
               $(BUILD)/tests/runner.o
# Fuzz targets: tests/fuzz/fuzz_<name>.c defines KP_FUZZ_TARGET(<name>); the
# corpus in tests/fuzz/corpus/<name>/ replays under `make test`.
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_OBJS   := $(FUZZ_SRCS:%.c=$(BUILD)/%.o)
CHECK_BIN   := $(BUILD)/tests/check_kpass

.PHONY: all test test-pg test-cluster cluster-bins bench-failover layers format-check menu-check debug debug-test fuzz fuzz-long bench demo deps deb-deps deb deb-package install uninstall clean tags FORCE
.DEFAULT_GOAL := all

all: $(BUILD)/kpassd $(BUILD)/kpass

$(LIB): $(OBJS)
	@rm -f $@
	$(call SAY,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/kpassd: $(KPASSD_OBJS) $(LIB)
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_LDFLAGS) -o $@ $(KPASSD_OBJS) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/kpass: $(KPASS_OBJS) $(LIB)
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_LDFLAGS) -o $@ $(KPASS_OBJS) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call SAY,CC,$<)
	$(Q)$(CC) $(KP_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(call SAY,CC,$<)
	$(Q)$(CC) $(KP_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -Itests -MMD -MP -c -o $@ $<

# The generated lists are rewritten only when their content changes, so that
# an unchanged tree does not relink.
$(BUILD)/gen/kp_suites.h: FORCE
	@mkdir -p $(@D)
	@{ for n in $(TEST_NAMES); do echo "KP_SUITE($$n)"; done; } > $@.tmp
	@{ for n in $(FUZZ_NAMES); do echo "KP_FUZZER($$n)"; done; } >> $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(TEST_OBJS): $(BUILD)/gen/kp_suites.h

# The built-in default paths (configuration, menus and seed, database and
# keys) follow the prefix the programs are built for.  The header is
# rewritten only when a path changes; the objects that include it are then
# rebuilt through their dependency files, so `make install PREFIX=/usr`
# after a plain `make` installs binaries that look in /etc, not /usr/local/etc.
$(BUILD)/gen/kp_paths.h: FORCE
	@mkdir -p $(@D)
	@{ echo '/* Generated by make: the paths of PREFIX=$(PREFIX). */'; \
	   echo '#define KP_SYSCONFDIR "$(SYSCONFDIR)"'; \
	   echo '#define KP_DATADIR "$(DATADIR)"'; \
	   echo '#define KP_STATEDIR "$(STATEDIR)"'; } > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# Only these include it; listed so that a clean build makes it first.
$(BUILD)/src/core/config.o $(BUILD)/src/ussd/dialog.o $(BUILD)/src/kpass/cmd/cmd_import.o: \
	$(BUILD)/gen/kp_paths.h

$(CHECK_BIN): $(TEST_OBJS) $(FUZZ_OBJS) $(LIB)
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_LDFLAGS) -o $@ $(TEST_OBJS) $(FUZZ_OBJS) $(LIB) $(PKG_LIBS) $(CHECK_LIBS) -lm

# Node peers (the npm `smpp` package, an independent SMPP implementation)
# used by the interoperability tests.
tests/peers/node_modules/.kp-installed: tests/peers/package.json tests/peers/package-lock.json
	cd tests/peers && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The local HA PostgreSQL cluster (tests/cluster/, doc/cluster.md): etcd,
# Patroni and two PostgreSQL 15 nodes; its own suite (cluster_pg) and the
# failover probe of tests/bench/failover.sh, on libpq alone.  The suite
# takes 38 to 66 s here (it starts a cluster, fails it over, rejoins the old
# primary, loses the standby); make test runs it last, after the shards
# (it waits on Patroni's timers, which a loaded machine stretches), and
# `make test-cluster` runs it alone.
PQ_CFLAGS   := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null))
PQ_LIBS     := $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)
CLUSTER_BIN := $(BUILD)/tests/check_cluster
PROBE_BIN   := $(BUILD)/tests/failover_probe

# The suites run SHARDS at a time (tests/runner.c): they mostly wait on
# daemons, peers and timers, so three shards on two cores take well under
# the time of one (doc/PERFORMANCE.md, "The test suite's wall time": with
# issue 12's cluster suites, 6 min for the whole of make test with 3
# shards, over 10 with 2).  The runner takes the longest suites first, from the seconds
# in tests/suite-times.txt, and a suite marked "alone" there by itself
# at the end; refresh the file with `make test SHARDS=1
# TEST_TIMES=tests/suite-times.txt` after adding a long suite (an unknown
# suite is started first meanwhile).
SHARDS     ?= 3
TEST_TIMES ?=
TEST_ENV    = KP_TOP=$(CURDIR) KP_TEST_SHARDS=$(SHARDS) KP_TEST_TIMES=$(TEST_TIMES)

# make test: every Check suite on SQLite, then the store-level suites on
# PostgreSQL (test-pg) and the HA cluster's failover suite (test-cluster).
test: all $(CHECK_BIN) cluster-bins tests/peers/node_modules/.kp-installed layers format-check \
      menu-check
	KP_BUILD=$(BUILD) $(TEST_ENV) $(CHECK_BIN)
	KP_BUILD=$(BUILD) KP_TEST_STORE=postgresql KP_TEST_SUITES="$(PG_SUITES)" $(TEST_ENV) $(CHECK_BIN)
	KP_BUILD=$(BUILD) KP_TOP=$(CURDIR) $(CLUSTER_BIN)

# The store-level suites again with the store on PostgreSQL (a private
# server for the run, tests/pgtest.h): KP_TEST_STORE=postgresql makes
# tu_store_open() and tu_daemon_prepare() use it.  PG_SUITES lists those
# that pass whole on PostgreSQL (dialogs: its screen-coverage case copies
# the seeded SQLite file per transcript and runs on SQLite only; the
# transcripts run on both); PG_SUITES_PARTLY those that do not yet, and
# why: the test reads or edits the SQLite file itself (store, audit, codes,
# credential, desk, desk_e2e, daemon's missing-file case); an identity
# leaves a gap where a refused INSERT took a number (citizen).  The word
# search runs on PostgreSQL since migration 22 (directory, dialogs,
# builtins_lang, sms_e2e, ussd_daemon moved here).  make test-pg
# PG_SUITES='...' for others.
PG_SUITES ?= pg_backend pg_schema office registry sms_store sms_retry sms_cli verify_desk limits_store \
             ussd_cache ussd_durability directory dialogs builtins_lang sms_e2e ussd_daemon
PG_SUITES_PARTLY = store audit citizen codes credential desk daemon desk_e2e
test-pg: all $(CHECK_BIN) tests/peers/node_modules/.kp-installed
	KP_BUILD=$(BUILD) KP_TEST_STORE=postgresql KP_TEST_SUITES="$(PG_SUITES)" $(TEST_ENV) $(CHECK_BIN)

$(BUILD)/tests/cluster/%.o: tests/cluster/%.c
	@mkdir -p $(@D)
	$(call SAY,CC,$<)
	$(Q)$(CC) $(KP_CFLAGS) $(PQ_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -Itests/cluster -Itests -MMD -MP -c -o $@ $<

# The suite also runs a kpassd node on the cluster (tests/testutil.h's daemon,
# ussdgw.h's gateway): it links the test helpers and libkpass.
CLUSTER_HELPERS := $(BUILD)/tests/testutil.o $(BUILD)/tests/smpputil.o $(BUILD)/tests/ussdgw.o \
                   $(BUILD)/tests/pgtest.o
$(CLUSTER_BIN): $(BUILD)/tests/cluster/check_cluster_pg.o $(BUILD)/tests/cluster/pgcluster.o \
                $(CLUSTER_HELPERS) $(LIB)
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS) $(PQ_LIBS) $(CHECK_LIBS) -lm

$(PROBE_BIN): $(BUILD)/tests/cluster/failover_probe.o $(BUILD)/tests/cluster/pgcluster.o
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_LDFLAGS) -o $@ $^ $(PQ_LIBS)

cluster-bins: $(CLUSTER_BIN) $(PROBE_BIN)

test-cluster: cluster-bins
	KP_BUILD=$(BUILD) KP_TOP=$(CURDIR) $(CLUSTER_BIN)

# Five failovers in a row: seconds of unavailability, min/median/max.
bench-failover: cluster-bins
	sh tests/bench/failover.sh $(BUILD)

# The shipped menus in every language (issue 11): no text without its Urdu,
# Pashto and Roman Urdu, and the page goals (home and departments on one
# page, at most 3 pages, no page with fewer than 2 options), measured with
# the seed data.  Only the files listed are held to it: all of them
# (doc/issue11-pages.md has the pages per screen and language).
MENU_STRICT = controls.menu identity.menu main.menu offices.menu services.menu system.menu
menu-check: all
	$(BUILD)/kpass -c /nonexistent/kpassd.conf menu check --strict --quiet --seed etc/seed \
		menus $(MENU_STRICT)

# The module graph from the #include lines, checked against the layer order
# (doc/architecture.md): fails on an upward edge or a cycle.
layers:
	sh tests/tools/layers.sh $(CURDIR)

# clang-format 14 against .clang-format, changing nothing: every file that
# would change is named.  `make test` runs it.
CLANG_FORMAT ?= clang-format-14
FORMAT_FILES = $(shell find src tests include -name '*.[ch]' -not -path 'tests/peers/*' | sort)
format-check:
	$(CLANG_FORMAT) --style=file --dry-run -Werror $(FORMAT_FILES)

debug:
	$(MAKE) BUILD=build/debug OPT='-O1 -g' SANITIZE=address,undefined all build/debug/tests/check_kpass

debug-test: debug tests/peers/node_modules/.kp-installed
	KP_BUILD=build/debug $(TEST_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/debug/tests/check_kpass

# libFuzzer: the library is rebuilt with clang and coverage instrumentation;
# each target is its own binary (build/fuzz/fuzz_<name>).
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) OPT='-O1 -g' \
		CFLAGS='$(FUZZ_FLAGS) -DKP_LIBFUZZER=1' $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

# make fuzz-long SECONDS=600 [JOBS=2]: every target for SECONDS each, from its
# corpus; prints executions and crashes per target and in total.
SECONDS    ?= 60
JOBS       ?= 1
fuzz-long: fuzz
	sh tests/fuzz/long.sh $(SECONDS) $(JOBS)

$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB) $(PKG_LIBS) -lm

# Micro-benchmarks: tests/bench/bench_<name>.c, one program each (not tests;
# doc/PERFORMANCE.md says how they are run).
BENCH_SRCS  := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS  := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
bench: all $(BENCH_BINS)

# A program may have parts of its own (not named bench_*.c): list them here.
$(BUILD)/bench/bench_http: tests/bench/http_sms.c tests/bench/http_issue.c tests/bench/bench_http.h

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LINK,$@)
	$(Q)$(CC) $(KP_CFLAGS) $(CFLAGS) $(KP_LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(PKG_LIBS) -lm

DEB_PKGS := build-essential pkg-config libevent-dev libssl-dev libsmpp34-dev libsqlite3-dev sqlite3 \
            libsodium-dev check libsubunit-dev libjansson-dev libqrencode-dev libpng-dev \
            libzbar-dev clang clang-format-14 curl debhelper fakeroot dpkg-dev \
            postgresql-15 libpq-dev etcd-server patroni
# libpq-dev: the postgresql store backend; postgresql-15: the tests' private
# server (tests/pgtest.h).  postgresql-15, etcd-server and patroni are the HA cluster of
# tests/cluster/ (make test-cluster, doc/cluster.md); Patroni brings
# python3-psycopg2 and python3-etcd with it.  Debian may start the system's
# own PostgreSQL (5432) and etcd (2379) on install: the cluster scripts
# neither need nor touch them (their own ports, folders and processes).
# What `make deb` needs on top (installed by it); the test suite builds
# the package too, hence debhelper, fakeroot and dpkg-dev in the list above.
DEB_DEPS := debhelper lintian dpkg-dev fakeroot
deps:
	@missing=""; \
	for p in $(or $(APT_PKGS),$(DEB_PKGS)); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		echo "deps: installing$$missing"; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "deps: everything is installed"; \
	fi

deb-deps:
	@$(MAKE) --no-print-directory deps APT_PKGS='$(DEB_DEPS)'

# make deb: the Debian package, built with dpkg-buildpackage in a copy of
# the tree under $(BUILD)/deb (so that the .deb, .changes and .buildinfo
# land there, not beside the source), reusing this tree's objects: only
# the files that depend on the install paths are compiled again.  Then
# lintian.  make deb-package does the same without lintian (the test).
DEB_TOP   := $(BUILD)/deb
DEB_SRC   := $(DEB_TOP)/kpass
deb: deb-deps deb-package
	lintian --fail-on error --info $(DEB_TOP)/kpass_*.deb

deb-package: all
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && \
		command -v fakeroot >/dev/null || \
		{ echo "deb: dpkg-buildpackage, dh or fakeroot missing (make deb-deps)"; exit 1; }
	rm -rf $(DEB_TOP)
	mkdir -p $(DEB_SRC)/build
	tar -cf - --exclude=./build --exclude=./.git --exclude=node_modules . | tar -xf - -C $(DEB_SRC)
	cp -a $(BUILD)/src $(DEB_SRC)/build/
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc --no-pre-clean -j2
	@ls -l $(DEB_TOP)/*.deb

demo: deps
	$(MAKE) all
	sh tests/demo.sh $(BUILD)

MAN1 := $(wildcard doc/*.1)
MAN5 := $(wildcard doc/*.5)
MAN8 := $(wildcard doc/*.8)

# Paths written into the installed text files (config, unit, sysusers, tmpfiles).
INSTALL_SED := sed -e 's|/usr/local/share/kpass|$(DATADIR)|g' -e 's|/var/lib/kpass|$(STATEDIR)|g' \
               -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
               -e 's|@STATEDIR@|$(STATEDIR)|g'

# The configuration is root:kpass 0640 (the daemon reads it, cannot change
# it) when installing as root with the kpass group there; otherwise 0640
# for whoever installs.  Into an empty DESTDIR as root, systemd-sysusers and
# systemd-tmpfiles then make the user and the state folders at once.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/menus \
		$(DESTDIR)$(DATADIR)/seed $(DESTDIR)$(SYSCONFDIR)/kpass $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 755 $(BUILD)/kpassd $(DESTDIR)$(SBINDIR)/kpassd
	install -m 755 $(BUILD)/kpass $(DESTDIR)$(BINDIR)/kpass
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	$(if $(wildcard menus/*.menu),install -m 644 $(wildcard menus/*.menu) $(DESTDIR)$(DATADIR)/menus/)
	$(if $(wildcard etc/seed/*.csv),install -m 644 $(wildcard etc/seed/*.csv) $(DESTDIR)$(DATADIR)/seed/)
	$(INSTALL_SED) etc/kpassd.conf > $(DESTDIR)$(DATADIR)/kpassd.conf.example
	chmod 644 $(DESTDIR)$(DATADIR)/kpassd.conf.example
	$(INSTALL_SED) etc/kpassd.service > $(DESTDIR)$(UNITDIR)/kpassd.service
	$(INSTALL_SED) etc/kpass.sysusers > $(DESTDIR)$(SYSUSERSDIR)/kpass.conf
	$(INSTALL_SED) etc/kpass.tmpfiles > $(DESTDIR)$(TMPFILESDIR)/kpass.conf
	chmod 644 $(DESTDIR)$(UNITDIR)/kpassd.service $(DESTDIR)$(SYSUSERSDIR)/kpass.conf \
		$(DESTDIR)$(TMPFILESDIR)/kpass.conf
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/kpass.conf"; systemd-sysusers $(SYSUSERSDIR)/kpass.conf; \
		echo "systemd-tmpfiles --create $(TMPFILESDIR)/kpass.conf"; \
		systemd-tmpfiles --create $(TMPFILESDIR)/kpass.conf; \
	fi
	test -e $(DESTDIR)$(SYSCONFDIR)/kpass/kpassd.conf || \
		install -m 640 $(DESTDIR)$(DATADIR)/kpassd.conf.example $(DESTDIR)$(SYSCONFDIR)/kpass/kpassd.conf
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && getent group kpass >/dev/null; then \
		echo "chown root:kpass $(DESTDIR)$(SYSCONFDIR)/kpass/kpassd.conf"; \
		chown root:kpass $(DESTDIR)$(SYSCONFDIR)/kpass/kpassd.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kpassd $(DESTDIR)$(BINDIR)/kpass $(DESTDIR)$(UNITDIR)/kpassd.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/kpass.conf $(DESTDIR)$(TMPFILESDIR)/kpass.conf
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -rf $(DESTDIR)$(DATADIR)
	@echo "uninstall: $(SYSCONFDIR)/kpass/kpassd.conf, the kpass user and $(STATEDIR) are left in place"

clean:
	rm -rf build

FORCE:

-include $(OBJS:.o=.d) $(KPASS_OBJS:.o=.d) $(KPASSD_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
-include $(wildcard $(BUILD)/tests/cluster/*.d)
