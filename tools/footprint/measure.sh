#!/usr/bin/env bash
# The footprint of an embedding service's JVM: embedtune (embedtune-models, as a user adds it)
# against langchain4j's in-process all-MiniLM-L6-v2 on ONNX Runtime, the peer a JVM user would
# otherwise pick. Same program on both sides (footprint.FirstEmbedding: load the model, embed one
# text, then 32), same JVM options, runs interleaved. Prints:
#   - the runtime classpath: jars and MB;
#   - the jars no class was loaded from while embedding (-Xlog:class+load), i.e. candidates to
#     exclude (resource-only jars such as natives and model files are needed all the same);
#   - per run: start-up to the first embedding (JVM uptime, and the process's CPU time, which other
#     processes on a shared machine disturb less), the next 32 texts (JIT still cold), resident
#     memory after a GC (VmRSS) and its peak (VmHWM), then the medians. embedtune also from an
#     empty model cache (the built-in is imported on first use).
# Usage (after `mvn -pl models -am install -DskipTests` in the checkout):
#   tools/footprint/measure.sh [RUNS]        Maven options in $FOOTPRINT_MAVEN_ARGS
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-5}"
# No native settings here: embedtune applies its own (NativeRuntime) and ONNX Runtime needs none.
peers=(embedtune langchain4j)
for p in "${peers[@]}"; do
  # shellcheck disable=SC2086
  (cd "$p" && mvn -q -B -Dstyle.color=never package ${FOOTPRINT_MAVEN_ARGS:-})
done
run() {   # run PEER [JVM options…]
  local p="$1"; shift
  java -Xmx1g --add-modules jdk.incubator.vector "$@" -cp "$p/target/classes:$(cat "$p/target/classpath.txt")" \
    footprint.FirstEmbedding 2>/dev/null
}

echo "== runtime classpath"
for p in "${peers[@]}"; do
  tr ':' '\n' < "$p/target/classpath.txt" | xargs stat -c '%s %n' | awk -v p="$p" '
    {n++; t+=$1} /langchain4j-embeddings-(all-minilm|bge)/ {m+=$1}
    END {printf "%-12s %3d jars %6.1f MB, of which model jars %5.1f MB, the rest %5.1f MB\n", p, n, t/1e6, m/1e6, (t-m)/1e6}'
done

echo "== jars no class was loaded from (embedtune; natives and model files are read as resources)"
log="$(mktemp)"
run embedtune "-Xlog:class+load=info:file=$log" > /dev/null
tr ':' '\n' < embedtune/target/classpath.txt | sed 's|.*/||' | sort > "$log.all"
grep -o 'source: [^ ]*\.jar' "$log" | sed 's|.*/||' | sort -u > "$log.used"
comm -23 "$log.all" "$log.used" | sed 's/^/  /'
rm -f "$log" "$log.all" "$log.used"

echo "== start-up and memory ($runs runs each, interleaved; a warm-up run first)"
run embedtune > /dev/null; run langchain4j > /dev/null
results="$(mktemp)"
for i in $(seq 1 "$runs"); do
  for p in "${peers[@]}"; do
    echo "$p $(run "$p")" | tee -a "$results"
  done
  home="$(mktemp -d)"
  echo "embedtune-first-use $(run embedtune "-Dembedtune.home=$home")" | tee -a "$results"
  rm -rf "$home"
done
echo "== medians"
for p in embedtune embedtune-first-use langchain4j; do
  grep "^$p " "$results" | python3 -c '
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[1:]) for line in sys.stdin]
med = lambda key: statistics.median(float(r[key]) for r in rows)
print("%-20s first embedding %6.0f ms (CPU %6.0f ms)   next 32 texts %5.0f ms (CPU %5.0f ms)   RSS %4.0f MB   peak RSS %4.0f MB"
      % (sys.argv[1], med("first_embedding_ms"), med("first_embedding_cpu_ms"), med("batch32_ms"), med("batch32_cpu_ms"),
         med("rss_mb"), med("peak_rss_mb")))
' "$p"
done
rm -f "$results"
