#!/bin/sh -e
# Generates ./configure from configure.ac and Makefile.am.
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
