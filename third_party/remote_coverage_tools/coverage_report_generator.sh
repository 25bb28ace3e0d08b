#!/bin/sh
echo "coverage reports are not available in Tessera's offline Bazel setup" >&2
exit 1
