#!/usr/bin/env bash
# Runs the example's programs against the installed embedtune artifacts:
#   ./run.sh embed [--model builtin:NAME|DIR]... [TEXT]...    embed texts, print vectors and cosines
#   ./run.sh serve [--model builtin:NAME|DIR] [--port 8080] [--threads N]   serve POST /embed
#   ./run.sh load  [--url http://127.0.0.1:8080] [--clients 1,2,8] [--requests 48] [--texts 8]
#   ./run.sh demo  [--model builtin:NAME|DIR] [--clients 8] …   start a server, run the clients, stop it
# It builds first (mvn package -DskipTests) when pom.xml or src/ changed since the last build;
# Maven options (e.g. -Dembedtune.version=…, -Dmaven.repo.local=…) go in $EXAMPLE_MAVEN_ARGS.
set -euo pipefail
cd "$(dirname "$0")"

# ND4J's native settings (OpenMP/OpenBLAS thread waiting, OpenBLAS's AVX-512 kernels) need nothing
# here: embedtune applies them itself when it loads ND4J (NativeRuntime). Environment variables set
# before the JVM starts win, e.g. OMP_WAIT_POLICY=ACTIVE ./run.sh serve.

if [ ! -f target/classpath.txt ] || [ -n "$(find pom.xml src -newer target/classpath.txt -print -quit)" ]; then
  echo "building the example (mvn package)…" >&2
  # shellcheck disable=SC2086
  if ! build_log="$(mvn -q -B package -DskipTests ${EXAMPLE_MAVEN_ARGS:-} 2>&1)"; then
    printf '%s\n' "$build_log" >&2
    exit 1
  fi
fi
# --add-modules jdk.incubator.vector: embedtune's CPU kernels use the Vector API (without it they
# fall back to ND4J ops, slower). The model's weights live off-heap; 1 GB of heap is plenty.
java_cmd=(java --add-modules jdk.incubator.vector ${JAVA_OPTS:--Xmx1g} -cp "target/classes:$(cat target/classpath.txt)")

command="${1:-embed}"
shift || true
case "$command" in
  embed) exec "${java_cmd[@]}" com.example.embedding.EmbedTexts "$@" ;;
  serve) exec "${java_cmd[@]}" com.example.embedding.EmbeddingServer "$@" ;;
  load)  exec "${java_cmd[@]}" com.example.embedding.LoadClient "$@" ;;
  demo)
    model=builtin:all-minilm-l6-v2
    if [ "${1:-}" = "--model" ]; then model="$2"; shift 2; fi
    port="${PORT:-18080}"
    "${java_cmd[@]}" com.example.embedding.EmbeddingServer --model "$model" --port "$port" --threads 8 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
    # The port opens once the model is loaded.
    for _ in $(seq 1 240); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
      kill -0 "$server" 2>/dev/null || { echo "the server exited before listening" >&2; exit 1; }
      sleep 0.5
    done
    "${java_cmd[@]}" com.example.embedding.LoadClient --url "http://127.0.0.1:$port" --clients 8 "$@"
    ;;
  *) echo "usage: ./run.sh embed|serve|load|demo [options] (see the top of this file)" >&2; exit 2 ;;
esac
