#!/bin/sh
# The agent's own Java runtime: jdeps lists the JDK modules its jars use, jlink links only those (plus
# jdk.crypto.ec, which provides the EC and Ed25519 keys of TLS and of snapshot signatures through a
# service lookup jdeps cannot see), without native symbol tables (when strip is there), and with a class-data-sharing archive
# for a faster start whose pages several agents on one gateway share.
# Usage: runtime-image.sh LIB_DIR OUTPUT_DIR   (JAVA_HOME: a JDK with jmods)
set -eu
lib=$1
out=$2
jdk=${JAVA_HOME:?JAVA_HOME must name a JDK}
if [ ! -d "$jdk/jmods" ]; then
    echo "runtime-image: $jdk has no jmods directory; build with a full JDK (Debian: openjdk-17-jdk-headless)" >&2
    exit 1
fi
# shellcheck disable=SC2046
modules=$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 17 --print-module-deps \
    $(find "$lib" -name '*.jar' | sort) | tail -n 1)
case "$modules" in
    java.*|jdk.*) ;;
    *) echo "runtime-image: jdeps did not list modules: $modules" >&2; exit 1 ;;
esac
rm -rf "$out"
"$jdk/bin/jlink" --add-modules "$modules,jdk.crypto.ec" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$out"
if command -v strip >/dev/null 2>&1; then
    # Symbol tables only; the dynamic symbols the launcher and JNI look up stay.
    find "$out/lib" -name '*.so' -exec chmod u+w {} + -exec strip --strip-unneeded {} +
fi
# The default class-data-sharing archive (for heaps under 32 GB, which the agent's always are).
"$out/bin/java" -Xshare:dump -XX:SharedArchiveFile="$out/lib/server/classes.jsa" >/dev/null
echo "runtime-image: $out with $modules,jdk.crypto.ec"
