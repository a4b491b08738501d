# Sourced by ./lab: the lab's feed as a NuGet source of the user's own, for notebooks run outside the lab's servers.
# The lab's kernelspec hands its kernels the feed through their environment; Polyglot Notebooks (VS Code), a
# dotnet-interactive of the user's own and `dotnet` commands read only NuGet's configuration. NuGet's user-wide file
# is the one place all of them read: dotnet-interactive restores in a project under ~/.packagemanagement, so a
# NuGet.Config beside the notebooks is never consulted.
# Needs: common.sh (ROOT, FEED, say, die, usage_error), install.sh (ensure_feed).
# Provides: cmd_feed.

FEED_SOURCE=edgeai-lab

has_feed_source() {
  dotnet nuget list source --format detailed | grep -qE "^ *[0-9]+\. +$FEED_SOURCE \["
}

cmd_feed() {
  case ${1:-} in
    "")
      ensure_feed
      if has_feed_source; then
        dotnet nuget update source "$FEED_SOURCE" --source "$FEED" >/dev/null
        say "NuGet source $FEED_SOURCE: $FEED"
      else
        dotnet nuget add source "$FEED" --name "$FEED_SOURCE" >/dev/null
        say "added NuGet source $FEED_SOURCE: $FEED (to your NuGet.Config; ./lab feed --remove takes it out)"
      fi
      say "#r \"nuget: EdgeAi.Interactive, $("$ROOT/scripts/versions.sh" edgeai)\" now resolves in any notebook on this machine" ;;
    --remove)
      if has_feed_source; then
        dotnet nuget remove source "$FEED_SOURCE" >/dev/null
        say "removed NuGet source $FEED_SOURCE"
      else
        say "no NuGet source $FEED_SOURCE to remove"
      fi ;;
    *) usage_error "unknown option for feed: $1 (allowed: --remove)" ;;
  esac
}
