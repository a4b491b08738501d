#!/bin/sh
# PID 1's child (tini is PID 1): prepares the writable home, then starts JupyterLab (it refuses an empty
# token), or runs the command it was given, e.g. `docker run IMAGE edgeai list` or a headless nbconvert.
set -eu

# $HOME may be an empty volume (read-only root filesystem in Kubernetes): make what the lab writes there.
mkdir -p "$HOME/notebooks" "$HOME/.nuget/NuGet" "$HOME/.local/share/jupyter/runtime"
for notebook in /opt/edgeai/notebooks/*.ipynb; do
  [ -e "$HOME/notebooks/$(basename "$notebook")" ] || cp "$notebook" "$HOME/notebooks/"
done
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

# JUPYTER_PORT: for hosts where the container shares the host's network (podman --network host).
exec /opt/edgeai/bin/jupyter-server "$HOME/notebooks" 0.0.0.0 "${JUPYTER_PORT:-8888}"
