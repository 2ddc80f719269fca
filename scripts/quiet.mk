# Included by every Makefile of the tree: quiet by default (rules print "  CC  target" lines), `make V=1`
# shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif
