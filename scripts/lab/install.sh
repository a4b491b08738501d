# Sourced by ./lab: installs what the lab needs, each step skipped when already done.

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$p"
  done
}

# Installs Debian packages that are missing: directly as root, with sudo after asking otherwise.
ensure_packages() {
  local missing
  missing=$(missing_packages "$@")
  [[ -z $missing ]] && return 0
  command -v apt-get >/dev/null || die "missing packages: $missing (this script installs them on Debian/Ubuntu only)"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages: $missing; install them as root (apt-get install $missing)"
    if [[ -t 0 ]]; then
      read -r -p "lab: install $missing with sudo apt-get? [y/N] " answer
      [[ $answer == [yY]* ]] || die "not installing; install them yourself: sudo apt-get install $missing"
    fi
    sudo=(sudo)
  fi
  say "installing $missing"
  # shellcheck disable=SC2086
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq $missing >/dev/null
}

# JupyterLab where the distribution has it, else the classic notebook server (Debian 12 has no JupyterLab).
server_packages() {
  if apt-cache show jupyterlab >/dev/null 2>&1; then echo "jupyterlab jupyter-core jupyter-client python3-nbclient python3-nbconvert"
  else echo "jupyter-notebook jupyter-client python3-nbclient python3-nbconvert"; fi
}

# dotnet-interactive as `dotnet tool restore` unpacks it (dotnet-tools.json), and the lab's copy of it compiled ahead
# (scripts/ready-to-run.sh), which the kernelspec runs where it exists.
tool_dll() {
  echo "${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.dotnet-interactive/$INTERACTIVE_VERSION/tools/net10.0/any/Microsoft.DotNet.Interactive.App.dll"
}

interactive_dll() {
  local compiled="$STATE/interactive/$INTERACTIVE_VERSION/Microsoft.DotNet.Interactive.App.dll"
  if [[ -f $compiled ]]; then echo "$compiled"; else tool_dll; fi
}

ensure_dotnet_interactive() {
  [[ -f $STATE/interactive/$INTERACTIVE_VERSION/Microsoft.DotNet.Interactive.App.dll ]] && return 0
  if [[ ! -f $(tool_dll) ]]; then
    say "restoring dotnet-interactive $INTERACTIVE_VERSION (dotnet-tools.json)"
    (cd "$ROOT" && dotnet tool restore >/dev/null)
  fi
  local arch staging
  case $(uname -m) in aarch64) arch=arm64 ;; *) arch=x64 ;; esac
  say "compiling dotnet-interactive ahead of time for quicker kernel starts (once, about a minute on 2 cores)"
  mkdir -p "$STATE/interactive"
  staging=$(mktemp -d "$STATE/interactive/.staging.XXXXXX")
  cp -a "$(dirname "$(tool_dll)")/." "$staging/"
  if "$ROOT/scripts/ready-to-run.sh" "$staging" "$arch" >&2; then
    mv "$staging" "$STATE/interactive/$INTERACTIVE_VERSION"
  else
    rm -rf "$staging"
    say "could not compile it ahead (see above); kernels run the tool as restored and start about a second slower"
  fi
}

# Packs the core and the extension into the local feed when their sources changed (build output excluded). Each
# pack gets a new 4th version number: the kernel's NuGet caches serve a re-packed same version stale.
ensure_feed() {
  mkdir -p "$STATE"
  exec 9>"$STATE/feed.lock"
  flock 9   # two ./lab commands started together pack once
  local hash
  hash=$(cd "$ROOT" && find kernel \( -name bin -o -name obj \) -prune -o \( -name '*.cs' -o -name '*.csproj' \) -print | sort \
         | xargs cat Directory.Build.props Directory.Packages.props | sha256sum | cut -c1-16)
  if [[ -f $STATE/feed.hash && $(cat "$STATE/feed.hash") == "$hash" && -f $STATE/feed.version \
        && -f $FEED/EdgeAi.Interactive.$(cat "$STATE/feed.version").nupkg ]]; then
    exec 9>&-
    return 0
  fi
  local version
  version="$("$ROOT/scripts/versions.sh" edgeai).$(( ($(date +%s) - 1767225600) / 60 ))"
  say "packing EdgeAi.Core and EdgeAi.Interactive $version into $FEED"
  mkdir -p "$FEED"
  for project in EdgeAi.Core EdgeAi.Interactive; do
    dotnet pack "$ROOT/kernel/$project" -c Release -o "$FEED" -p:PackageVersion="$version" -v quiet -nologo >/dev/null \
      || die "dotnet pack $project failed; run it by hand to see why"
  done
  # The notebooks ask for the release (`#r "nuget: EdgeAi.Interactive, VERSION"`), which NuGet reads as a lowest bound
  # and meets with the lowest build it has, in the feed or already in its package folder. So only this build is
  # kept in either, and dotnet-interactive's restore cache, which remembers what that same request resolved to, is
  # emptied: the next kernel restores this build.
  find "$FEED" -name 'EdgeAi.*.nupkg' ! -name "*.$version.nupkg" -delete
  local packages
  packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')
  [[ -n $packages ]] && find "$packages/edgeai.core" "$packages/edgeai.interactive" -mindepth 1 -maxdepth 1 \
    ! -name "$version" -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$HOME/.packagemanagement/nuget/Cache"
  echo "$version" > "$STATE/feed.version"
  echo "$hash" > "$STATE/feed.hash"
  exec 9>&-
}

# Our kernelspec under .lab/jupyter (found through JUPYTER_PATH), apart from the user's kernels.
ensure_kernelspec() {
  rm -rf "$JUPYTER_HOME/kernels/edgeai-csharp"   # its name before it followed Polyglot's `.net-` rule
  "$ROOT/scripts/kernelspec.sh" "$JUPYTER_HOME/kernels" "$ROOT/kernel/kernelspec/edgeai-kernel" "$FEED" \
    "$(command -v dotnet)" "$(interactive_dll)"
}

# The Jupyter the lab needs: what is already there (any distribution, a dev container, a pip install), else Debian's
# or Ubuntu's packages, installed. Without apt nothing can be installed for the user: the lab names what is missing.
ensure_jupyter() {
  local missing=() server module
  server=$(command -v jupyter-lab || command -v jupyter-notebook || true)
  [[ -n $server ]] || missing+=("a Jupyter server (jupyter-lab or jupyter-notebook on PATH)")
  for module in jupyter_client nbformat nbclient nbconvert; do
    "$PYTHON" -c "import $module" 2>/dev/null || missing+=("the Python module $module (for $PYTHON)")
  done
  local apt=false
  command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && apt=true
  if ((${#missing[@]} == 0)); then
    $apt || say "no apt here: using $server and $PYTHON from PATH"
    return 0
  fi
  if $apt; then
    # shellcheck disable=SC2046
    ensure_packages $(server_packages)
    return
  fi
  die "no apt here, so the lab installs nothing; missing: $(IFS=';'; echo "${missing[*]}" | sed 's/;/; /g').
     Install them with your distribution's packages or pip (e.g. pip install jupyterlab nbconvert nbclient), then run ./lab again."
}

setup() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not found)"
  ensure_jupyter
  ensure_dotnet_interactive
  ensure_feed
  ensure_kernelspec
  prepare_books
}

# The manifest tests build with `kubectl kustomize`, else `kustomize build`. Debian 12 has neither (its
# kubernetes-client is 1.20); Debian 13's kustomize is one static binary, fetched into .lab/tools with apt's
# own download from the same mirror, without touching the system's sources or packages.
ensure_kustomize() {
  command -v kubectl >/dev/null || command -v kustomize >/dev/null || [[ -x $STATE/tools/kustomize ]] && return 0
  local work="$STATE/tools/apt" mirror
  mirror=$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
           | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit} /^deb / && $2 ~ /debian\/?$/ {print $2; exit}')
  [[ -n $mirror ]] || die "neither kubectl nor kustomize is installed, and no Debian mirror is configured to fetch kustomize from"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" > "$work/trixie.sources"
  local apt=(-o "Dir::Etc::SourceList=$work/trixie.sources" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
  say "fetching kustomize from Debian 13 into $STATE/tools"
  apt-get "${apt[@]}" update -qq && (cd "$work" && apt-get "${apt[@]}" download kustomize >/dev/null 2>&1) \
    || die "could not fetch Debian 13's kustomize; install kubectl or kustomize"
  dpkg-deb -x "$work"/kustomize_*.deb "$work/root" && cp "$work/root/usr/bin/kustomize" "$STATE/tools/kustomize"
}

# Container tools for the image tests (Debian 12's buildah/podman need runc; see tests/EdgeAi.Image.Tests/containers.sh).
IMAGE_TOOLS=(buildah podman podman-compose runc netavark aardvark-dns iptables debootstrap curl)
