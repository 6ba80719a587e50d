"""OCI runtime wrapper for sandboxes whose capability bounding set lacks CAP_SYS_RESOURCE.

Registered as dockerd's default runtime by dockerd.sh ONLY when needed. For `create`/`run`
it strips CAP_SYS_RESOURCE from the bundle's config.json, for `exec` from the --process
JSON, then execs the real runc with the unchanged argv. Test-harness only.
"""
import json
import os
import sys

CAP = "CAP_SYS_RESOURCE"
REAL = os.environ.get("RUNC_SHIM_REAL", "")
if not REAL:
    for c in ("/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"):
        if os.access(c, os.X_OK):
            REAL = c
            break
GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--rootless"}


def opt(args, names):
    """Value of the first of `names` in args (`--x v`, `-x v` or `--x=v`)."""
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(n + "="):
                return a[len(n) + 1:]
    return None


def strip(path, key_path):
    try:
        with open(path) as f:
            doc = json.load(f)
        caps = doc
        for k in key_path:
            caps = caps.get(k) or {}
        changed = False
        for lst in caps.values():
            if isinstance(lst, list) and CAP in lst:
                lst.remove(CAP)
                changed = True
        if changed:
            tmp = path + ".shim"
            with open(tmp, "w") as f:
                json.dump(doc, f)
            os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # never block runc: let it report its own error


def main():
    argv = sys.argv[1:]
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # global flags come first
        i += 1 if ("=" in argv[i] or argv[i] not in GLOBAL_WITH_VALUE) else 2
    if i < len(argv):
        sub, rest = argv[i], argv[i + 1:]
        if sub in ("create", "run"):
            bundle = opt(rest, ("--bundle", "-b")) or os.getcwd()
            strip(os.path.join(bundle, "config.json"), ("process", "capabilities"))
        elif sub == "exec":
            proc = opt(rest, ("--process", "-p"))
            if proc:
                strip(proc, ("capabilities",))
    os.execv(REAL, [REAL] + argv)


main()
