"""Reads a supervisord.conf with supervisor's own parser (ServerOptions) and prints what it understood as JSON.

Used by test/supervisord-config.test.ts so that escaping is checked against the real parser, not ours.
"""
import json
import sys

from supervisor import datatypes, options as supervisor_options
from supervisor.options import ServerOptions

# The paths name directories of the container (/run/go-remote), not of this machine: accept them as they are.
for module in (datatypes, supervisor_options):
    module.existing_dirpath = lambda value: value
    module.existing_directory = lambda value: value


def parse(path):
    options = ServerOptions()
    options.configfile = path
    options.process_config(do_usage=False)
    groups = []
    for group in options.configroot.supervisord.process_group_configs:
        for p in group.process_configs:
            groups.append({
                "name": p.name,
                "command": p.command,
                "directory": p.directory,
                "environment": p.environment,
                "autostart": p.autostart,
                "autorestart": str(p.autorestart),
                "startsecs": p.startsecs,
            })
    return {"programs": groups, "socket": options.configroot.supervisord.server_configs[0]["file"]}


def main(paths):
    """One file: its result. Several (a batch, one Python process for many configurations): a list of results,
    each {"error": message} when supervisor refuses that file."""
    if len(paths) == 1:
        print(json.dumps(parse(paths[0])))
        return
    results = []
    for path in paths:
        try:
            results.append(parse(path))
        except Exception as e:  # supervisor refusing a file is a result, not a crash of the batch
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
