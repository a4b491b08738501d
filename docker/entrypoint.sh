#!/bin/sh
# PID 1's child (tini is PID 1): prepares the writable home, then starts JupyterLab on the shared volume (it
# refuses an empty token), or runs the command it was given, e.g. `docker run IMAGE edgeai list` or nbconvert.
set -eu
books=/books

# $HOME may be an empty volume (read-only root filesystem in Kubernetes): make what the lab writes there.
mkdir -p "$HOME/.nuget/NuGet" "$HOME/.local/share/jupyter/runtime"
# Offline: only the image's feed; dependencies come from the image's package folder (NUGET_PACKAGES).
cat > "$HOME/.nuget/NuGet/NuGet.Config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="edgeai" value="/opt/edgeai/feed" />
  </packageSources>
</configuration>
CONFIG

[ "$#" -gt 0 ] && exec "$@"

if [ -z "${JUPYTER_TOKEN:-}" ]; then
  echo "edgeai-lab: JUPYTER_TOKEN is empty. Refusing to serve notebooks without authentication:" >&2
  echo "  docker run -e JUPYTER_TOKEN=\"\$(openssl rand -hex 24)\" ...   (Kubernetes: the Secret edgeai-lab-token)" >&2
  exit 64
fi

# As in the report, Jupyter serves the shared volume: students' notebooks in /books/notebooks, beside the weight
# store in /books/models, so an edit saved through one replica is there through the others and after a restart.
if ! mkdir -p "$books/notebooks" "$EDGEAI_WEIGHTS_DIR" 2> /dev/null || [ ! -w "$books/notebooks" ]; then
  echo "edgeai-lab: $books is not writable by uid $(id -u). Mount a volume there that this user can write:" >&2
  echo "  docker run -v edgeai-books:$books ...   (Kubernetes: the claim edgeai-books, exported writable by gid 1000)" >&2
  exit 65
fi
/opt/edgeai/bin/seed-notebooks /opt/edgeai/notebooks "$books/notebooks" "$(cat /opt/edgeai/VERSION)"
for old in "$books"/*/latest; do
  if [ -e "$old" ] && [ "$(dirname "$(dirname "$old")")" != "$EDGEAI_WEIGHTS_DIR" ]; then
    echo "edgeai-lab: $(dirname "$old") is a model of an earlier layout; the store is now $EDGEAI_WEIGHTS_DIR: move it there" >&2
  fi
done

# JUPYTER_PORT: for hosts where the container shares the host's network (podman --network host).
exec /opt/edgeai/bin/jupyter-server "$books" 0.0.0.0 "${JUPYTER_PORT:-8888}"
