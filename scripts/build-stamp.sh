#!/bin/sh
# Writes BuildStamp.swift: the git commit this qbench is built from and whether the tree was dirty.
# Run by the BuildStamp plugin (Plugins/BuildStamp) before every build: build-stamp.sh PACKAGE_DIR OUTPUT_DIR.
# Never fails the build: without git, outside a work tree (a tarball), or in a tree that is not the package's
# own (a tarball unpacked inside another repository), the commit and the dirty flag are written as nil.
# The file is replaced only when its text changes, so an unchanged tree recompiles nothing.
pkg=$1
out=$2
mkdir -p "$out" || exit 0
commit=nil
dirty=nil
if command -v git >/dev/null 2>&1 && cd "$pkg" 2>/dev/null; then
  # safe.directory: a CI checkout owned by another user is still read; no optional locks: status writes nothing.
  g() { git -c safe.directory='*' --no-optional-locks "$@" 2>/dev/null; }
  top=$(g rev-parse --show-toplevel) && here=$(pwd -P) && top=$(cd "$top" && pwd -P)
  if [ -n "$top" ] && [ "$top" = "$here" ]; then
    sha=$(g rev-parse --verify HEAD) && commit="\"$sha\""
    # Tracked changes and untracked files that are not ignored both count: either can change what is built.
    if [ "$commit" != nil ] && status=$(g status --porcelain); then
      if [ -n "$status" ]; then dirty=true; else dirty=false; fi
    fi
  fi
fi
tmp="$out/.BuildStamp.swift.tmp"
cat > "$tmp" <<SWIFT || exit 0
// Generated before each build by Plugins/BuildStamp (scripts/build-stamp.sh); not in git.
enum GeneratedBuildStamp {
    static let commit: String? = $commit
    static let dirty: Bool? = $dirty
}
SWIFT
if cmp -s "$tmp" "$out/BuildStamp.swift"; then rm -f "$tmp"; else mv -f "$tmp" "$out/BuildStamp.swift"; fi
exit 0
